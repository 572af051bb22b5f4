import { isPermitted, requirePermission } from '../../access/smart-access.js';
import type { AccessScope } from '../../access/scope.js';
import { bodyParameters, parseExportRequest, queryParameters, type ExportLevel, type ExportRequest } from '../../bulk/export-request.js';
import { requesterClient } from '../../bulk/requester.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { informationOutcome } from '../../errors/operation-outcome.js';
import { isStoredType } from '../../fhir/audit-trail-type.js';
import { isFhirId } from '../../fhir/fhir-id.js';
import type { Clause } from '../../search/query/search-query.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { requireResourceMediaType } from '../media-types.js';
import { lenientHandling, respondAsync } from '../prefer.js';
import { parseJsonBody } from '../resource-body.js';
import type { RestContext } from '../rest-context.js';

/** Search parameters that shape a result page rather than select resources: no place in a `_typeFilter`. */
const NOT_CRITERIA = ['_count', '_sort', '_include', '_revinclude', '_summary', '_elements', '_total', '_contained', '_containedType', '_cursor', '_format'];

/**
 * Bulk Data kick-off (`$export`, `Patient/$export`, `Group/[id]/$export`; Bulk Data IG 1.0.1 and
 * 2.0, docs/bulk-export.md): checks the request and what the requester may export, then queues
 * a job and answers 202 with its status URL. The job runs later, on any node, in the scope of
 * the requester compiled afresh (so consent withdrawn meanwhile holds), reading at the kick-off
 * time. `Prefer: respond-async` is required (the IG's SHALL); `Accept` may be left out (2.0).
 */
export async function exportKickOff(ctx: RestContext, req: FhirRequest, level: ExportLevel): Promise<FhirResponse> {
  if (!respondAsync(req.headers.prefer)) throw new FhirkeepError('bad-request', '$export runs asynchronously: send Prefer: respond-async');
  const post = req.method === 'POST';
  if (post) requireResourceMediaType(req.contentType);
  const parameters = post ? [...queryParameters(req.query), ...bodyParameters(parseJsonBody(req.body))] : queryParameters(req.query);
  const lenient = lenientHandling(req.headers.prefer);
  const parsed = parseExportRequest(parameters, { level, resourceTypes: ctx.resourceTypes, fhirBase: ctx.fhirBase(), lenient, post });
  for (const [type, queries] of Object.entries(parsed.typeFilters)) for (const query of queries) typeFilterClauses(ctx, type, query);

  const { types, warnings } = exportTypes(ctx, req.scope, parsed, lenient);
  const patients = level.kind === 'group' ? await groupMembers(ctx, req.scope, level.groupId, parsed.patients) : parsed.patients;
  const request: ExportRequest = { ...parsed, patients, warnings: [...parsed.warnings, ...warnings] };
  // The manifest echoes the kick-off as it was sent: a research partner's study included.
  const query = new URLSearchParams([...req.query, ...(req.linkParams ?? [])]).toString();
  const job = await ctx.bulkExport.kickOff({
    clientId: requesterClient(req.scope.principal),
    principal: req.scope.principal,
    request,
    requestUrl: `${ctx.fhirBase()}/${req.path}${query === '' ? '' : `?${query}`}`,
    types,
  });
  const statusUrl = ctx.bulkExport.statusUrl(job.id, req.linkParams);
  return { status: 202, headers: { 'Content-Location': statusUrl }, body: { kind: 'json', value: informationOutcome(`Export ${job.id} is queued; poll ${statusUrl}`) } };
}

/** A `_typeFilter` query as the clauses of a search of its type; 400 for anything but search criteria. */
export function typeFilterClauses(ctx: RestContext, type: string, query: string): readonly Clause[] {
  const params = new URLSearchParams(query);
  const shaping = NOT_CRITERIA.find((name) => params.has(name));
  if (shaping !== undefined) throw new FhirkeepError('invalid-parameter', `_typeFilter takes search criteria only, not ${shaping}`);
  return ctx.parseSearch([type], params, true).clauses;
}

/**
 * The types to export, in order: those asked for (each must be one the scope may search, else
 * 403 as for a search), or every stored type it may search (not the audit trail); below the
 * system level, only types of the Patient compartment.
 */
function exportTypes(ctx: RestContext, scope: AccessScope, request: ExportRequest, lenient: boolean): { types: string[]; warnings: string[] } {
  const compartment = request.level.kind !== 'system';
  const inCompartment = (type: string) => !compartment || type === 'Patient' || ctx.compartmentTypes.has(type);
  const warnings: string[] = [];
  let types: string[];
  if (request.types.length > 0) {
    types = [];
    for (const type of request.types) {
      if (!inCompartment(type)) {
        const message = `_type: ${type} is not in the Patient compartment, so a patient-level export has none`;
        if (!lenient) throw new FhirkeepError('invalid-parameter', message);
        warnings.push(message);
        continue;
      }
      requirePermission(scope, 's', type);
      types.push(type);
    }
  } else {
    types = [...ctx.resourceTypes].filter((t) => isStoredType(t) && inCompartment(t) && isPermitted(scope, 's', t)).sort();
  }
  if (request.includeProvenance && !types.includes('Provenance') && isPermitted(scope, 's', 'Provenance')) types.push('Provenance');
  if (types.length === 0) throw new FhirkeepError('forbidden', 'This request may not export any resource type');
  return { types, warnings };
}

/**
 * The Patients a Group's export covers: its active members that are Patients (Bulk Data IG),
 * narrowed to `patient` when given. The Group must be readable in the scope, else 404.
 */
async function groupMembers(ctx: RestContext, scope: AccessScope, groupId: string, only: readonly string[] | undefined): Promise<string[]> {
  if (!isFhirId(groupId)) throw new FhirkeepError('invalid-id', `"${groupId}" is not a valid FHIR id (R4 §2.26.0.1)`);
  requirePermission(scope, 'r', 'Group');
  const group = await ctx.store.read(scope, 'Group', groupId);
  if (group === undefined || group.json === null) throw new FhirkeepError('not-found', `Group/${groupId} is not known`);
  const members = (JSON.parse(group.json) as { member?: { entity?: { reference?: unknown }; inactive?: unknown }[] }).member ?? [];
  const base = `${ctx.fhirBase()}/`;
  const ids = new Set<string>();
  for (const m of members) {
    if (m.inactive === true || typeof m.entity?.reference !== 'string') continue;
    const reference = m.entity.reference.startsWith(base) ? m.entity.reference.slice(base.length) : m.entity.reference;
    const id = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference)?.[1];
    if (id !== undefined) ids.add(id);
  }
  return [...ids].filter((id) => only === undefined || only.includes(id)).sort();
}
