import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { parseJsonBody } from '../resource-body.js';
import type { RestContext } from '../rest-context.js';
import { pageLink, searchsetResponse } from '../search/searchset.js';

const PARAMETERS = new Set(['patient', 'start', 'end', 'type', 'on-demand']);
/** A searchset's paging parameters, passed to the search: its `next` links carry `_cursor`. */
const PAGING = ['_count', '_cursor'];

/**
 * US Core 3.1.1 `DocumentReference/$docref` (OperationDefinition-docref): a patient's documents
 * whose period overlaps `start`–`end`, or without dates the current ones, newest first;
 * `type` narrows by document type. Fhirkeep generates no documents, so `on-demand` finds only
 * stored ones (the operation allows that).
 */
export async function docref(ctx: RestContext, req: FhirRequest): Promise<FhirResponse> {
  const input = req.method === 'POST' ? parametersOf(req) : req.query;
  for (const name of new Set(input.keys())) {
    if (!PARAMETERS.has(name) && !PAGING.includes(name) && name !== '_format') throw new FhirkeepError('invalid-parameter', `$docref does not take the parameter ${name}`);
  }
  const patient = input.get('patient');
  if (patient === null || patient === '') throw new FhirkeepError('invalid-parameter', '$docref needs a patient');
  const search = new URLSearchParams({ patient });
  const start = input.get('start');
  const end = input.get('end');
  if (start !== null) search.append('period', `ge${start}`);
  if (end !== null) search.append('period', `le${end}`);
  if (start === null && end === null) {
    search.append('status', 'current');
    search.append('_sort', '-date');
  }
  const type = input.get('type');
  if (type !== null) search.append('type', type);
  for (const name of PAGING) for (const value of input.getAll(name)) search.append(name, value);
  const query = ctx.parseSearch(['DocumentReference'], search, true);
  const page = await ctx.store.search(req.scope, query);
  const base = ctx.fhirBase();
  return searchsetResponse(page, { fhirBase: base, linkTo: pageLink(base, 'DocumentReference/$docref', input, req.linkParams), cursor: query.cursor });
}

/** A POSTed Parameters resource as name → value (valueString, valueDate, valueId, valueCoding …). */
function parametersOf(req: FhirRequest): URLSearchParams {
  const body = parseJsonBody(req.body) as { resourceType?: unknown; parameter?: unknown };
  if (body.resourceType !== 'Parameters' || !Array.isArray(body.parameter)) throw new FhirkeepError('invalid-parameter', '$docref takes a Parameters resource');
  const out = new URLSearchParams();
  for (const p of body.parameter as Record<string, unknown>[]) {
    const name = p.name;
    if (typeof name !== 'string') throw new FhirkeepError('invalid-parameter', 'Each parameter needs a name');
    const coding = p.valueCoding as { system?: string; code?: string } | undefined;
    const value = coding !== undefined ? `${coding.system ?? ''}|${coding.code ?? ''}` : Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
    if (typeof value !== 'string' && typeof value !== 'boolean') throw new FhirkeepError('invalid-parameter', `Parameter ${name} needs a value`);
    out.append(name, String(value));
  }
  return out;
}
