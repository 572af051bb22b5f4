import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { pageSize } from '../page-size.js';
import { sinceParam, typeParam } from '../query-params.js';
import type { RestContext } from '../rest-context.js';
import { pageLink, searchsetResponse } from '../search/searchset.js';

const PARAMETERS = new Set(['_since', '_type', '_count', '_cursor', '_format', '_pretty']);

/**
 * `Patient/[id]/$everything` (R4 patient-operation-everything): the patient, every resource in
 * its compartment and what those reference, paged; `_since`, `_type` and `_count` narrow it.
 */
export async function everything(ctx: RestContext, req: FhirRequest, id: string): Promise<FhirResponse> {
  for (const name of req.query.keys()) {
    if (!PARAMETERS.has(name)) throw new FhirkeepError('invalid-parameter', `$everything does not support the parameter ${name} (supported: _since, _type, _count)`);
  }
  const since = sinceParam(req.query);
  const listed = typeParam(req.query, ctx.resourceTypes, ctx.fhirBase());
  const cursor = req.query.get('_cursor') ?? undefined;

  const patient = await ctx.store.read(req.scope, 'Patient', id);
  if (patient === undefined) throw new FhirkeepError('not-found', `Patient/${id} is not known`);
  if (patient.deleted) throw new FhirkeepError('gone', `Patient/${id} was deleted`);

  const others = listed.filter((t) => t !== 'Patient');
  const query = ctx.compartmentQuery(id, {
    ...(listed.length > 0 ? { types: others } : {}),
    ...(since === undefined ? {} : { since }),
    count: pageSize(ctx, req.query.get('_count')),
    ...(cursor === undefined ? {} : { cursor }),
  });
  const wantsPatient = cursor === undefined && (listed.length === 0 || listed.includes('Patient')) && (since === undefined || patient.lastUpdated > since);
  const found = listed.length > 0 && others.length === 0 ? { matches: [], included: [] } : await ctx.store.search(req.scope, query);
  // The patient's own references (organization, practitioners) come with it on the first page.
  const own = wantsPatient ? (await ctx.store.search(req.scope, ctx.parseSearch(['Patient'], new URLSearchParams({ _id: id, _include: 'Patient:*' }), true))).included : [];
  const seen = new Set(found.included.map((v) => `${v.type}/${v.id}`));
  const page = { ...found, included: [...found.included, ...own.filter((v) => !seen.has(`${v.type}/${v.id}`))] };
  const base = ctx.fhirBase();
  const params = new URLSearchParams([...req.query].filter(([k]) => k !== '_cursor'));
  return searchsetResponse(page, {
    fhirBase: base,
    linkTo: pageLink(base, `Patient/${id}/$everything`, params, req.linkParams),
    cursor,
    leading: wantsPatient ? [patient] : [],
  });
}
