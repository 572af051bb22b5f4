import { auditEventResource } from '../audit/audit-event-resource.js';
import { AUDIT_SEARCH_CODES, parseAuditSearch } from '../audit/audit-event-search.js';
import type { StoredAuditRow } from '../audit/audit-row.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { AuditReach } from '../access/audit-access.js';
import { AUDIT_TRAIL_TYPE } from '../fhir/audit-trail-type.js';
import type { ApartTypeCapability, TypeInteraction } from '../fhir/capability-statement.js';
import type { SearchParameterDefinition } from '../fhir/definitions.js';
import { encodeCursor } from '../search/sql/search-cursor.js';
import type { StoredVersion } from '../storage/types.js';
import { allow } from './allow.js';
import type { FhirMethod, FhirRequest, FhirResponse } from './fhir-request.js';
import { withFormBody } from './interactions/search.js';
import { pageSize } from './page-size.js';
import { lenientHandling } from './prefer.js';
import type { RestContext } from './rest-context.js';
import { pageLink, searchsetResponse } from './search/searchset.js';
import { readResponse } from './version-response.js';

/** What this handler answers: the one version of an event is its vread. */
const INTERACTIONS = ['read', 'vread', 'search-type'] as const satisfies readonly TypeInteraction[];

/** What the CapabilityStatement says of AuditEvent: what this handler answers, each parameter with its R4 definition. */
export function auditEventCapability(definitions: readonly SearchParameterDefinition[]): ApartTypeCapability {
  const searchParams = AUDIT_SEARCH_CODES.map((code) => {
    const definition = definitions.find((d) => d.code === code && d.base.includes(AUDIT_TRAIL_TYPE));
    if (definition === undefined) throw new Error(`R4 defines no AuditEvent search parameter ${code}`);
    return definition;
  });
  return { interactions: INTERACTIONS, searchParams };
}

/**
 * `AuditEvent` (docs/audit-reading.md): the audit trail read from its table. Search
 * (`GET AuditEvent?…`, `POST AuditEvent/_search`), read and vread of the one version; every
 * write is a 405: the trail is written by the server alone. `path` is the path after the type.
 */
export async function auditEvents(ctx: RestContext, req: FhirRequest, path: readonly string[]): Promise<FhirResponse> {
  const [first, second, third, ...rest] = path;
  const only = (method: FhirMethod): void => allow(req.method, [method], req, WRITTEN_BY_THE_SERVER);
  if (first === undefined) {
    only('GET');
    return search(ctx, req, req.query);
  }
  if (first === '_search' && second === undefined) {
    only('POST');
    return search(ctx, req, withFormBody(req));
  }
  if ((first === '_history' && second === undefined) || (second === '_history' && third === undefined)) throw noHistory(req);
  if (first.startsWith('$') || first.startsWith('_')) throw new FhirkeepError('not-found', `No AuditEvent interaction at /${req.path}: the trail is searched and read`);
  if (second === undefined) {
    only('GET');
    return read(ctx, req, first);
  }
  // Each event is written once: its only version is 1.
  if (second === '_history' && third === '1' && rest.length === 0) {
    only('GET');
    return read(ctx, req, first);
  }
  throw new FhirkeepError('not-found', `No AuditEvent interaction at /${req.path}: an event has one version, 1`);
}

const WRITTEN_BY_THE_SERVER = 'AuditEvent is the audit trail, written by this server alone';

/**
 * Type and instance history are no interactions of the trail (the CapabilityStatement offers
 * none): a 405 allowing no method (RFC 9110 §10.2.1: an empty Allow), as writes are a 405.
 */
function noHistory(req: FhirRequest): FhirkeepError {
  return new FhirkeepError('method-not-allowed', `${req.method} /${req.path}: AuditEvents have no history; each event is written once, its one version is AuditEvent/[id]/_history/1`, { headers: { Allow: '' } });
}

async function search(ctx: RestContext, req: FhirRequest, query: URLSearchParams): Promise<FhirResponse> {
  const reach = await ctx.auditReach(req.scope, 's');
  const base = ctx.fhirBase();
  const parsed = parseAuditSearch(query, { fhirBase: base, count: (value) => pageSize(ctx, value), strict: !lenientHandling(req.headers.prefer), limits: ctx.searchLimits });
  const page = await ctx.auditEvents.search(reach, parsed);
  return searchsetResponse(
    { matches: page.rows.map((row) => stored(row, reach, base)), included: [], ...(page.next === undefined ? {} : { next: encodeCursor({ kind: 'after', rid: page.next }) }) },
    { fhirBase: base, linkTo: pageLink(base, 'AuditEvent', parsed.canonical, req.linkParams), cursor: query.get('_cursor') ?? undefined },
  );
}

async function read(ctx: RestContext, req: FhirRequest, id: string): Promise<FhirResponse> {
  const reach = await ctx.auditReach(req.scope, 'r');
  const row = await ctx.auditEvents.read(reach, id);
  // An event outside the reader's reach is indistinguishable from one that does not exist.
  if (row === undefined) throw new FhirkeepError('not-found', `AuditEvent/${id} is not known`);
  return readResponse(stored(row, reach, ctx.fhirBase()));
}

function stored(row: StoredAuditRow, reach: AuditReach, fhirBase: string): StoredVersion & { json: string } {
  return { type: 'AuditEvent', id: row.seq, versionId: 1, lastUpdated: row.recorded, deleted: false, json: JSON.stringify(auditEventResource(row, reach, fhirBase)) };
}
