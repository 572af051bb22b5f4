import { auditEventResource } from '../audit/audit-event-resource.js';
import { parseAuditSearch } from '../audit/audit-event-search.js';
import type { StoredAuditRow } from '../audit/audit-row.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { AuditReach } from '../access/audit-access.js';
import { encodeCursor } from '../search/sql/search-cursor.js';
import type { StoredVersion } from '../storage/types.js';
import { allow } from './allow.js';
import type { FhirRequest, FhirResponse } from './fhir-request.js';
import { withFormBody } from './interactions/search.js';
import { pageSize } from './page-size.js';
import { lenientHandling } from './prefer.js';
import type { RestContext } from './rest-context.js';
import { pageLink, searchsetResponse } from './search/searchset.js';
import { readResponse } from './version-response.js';

/**
 * `AuditEvent` (docs/audit-reading.md): the audit trail read from its table. Search
 * (`GET AuditEvent?…`, `POST AuditEvent/_search`), read and vread of the one version; every
 * write is a 405: the trail is written by the server alone. `path` is the path after the type.
 */
export async function auditEvents(ctx: RestContext, req: FhirRequest, path: readonly string[]): Promise<FhirResponse> {
  const [first, second, third, ...rest] = path;
  if (first === undefined) {
    allow(req.method, ['GET'], req);
    return search(ctx, req, req.query);
  }
  if (first === '_search' && second === undefined) {
    allow(req.method, ['POST'], req);
    return search(ctx, req, withFormBody(req));
  }
  if (first.startsWith('$') || first.startsWith('_')) throw new FhirkeepError('not-found', `No AuditEvent interaction at /${req.path}: the trail is searched and read, its events have no history`);
  if (second === undefined) {
    allow(req.method, ['GET'], req);
    return read(ctx, req, first);
  }
  // Each event is written once: its only version is 1.
  if (second === '_history' && third === '1' && rest.length === 0) {
    allow(req.method, ['GET'], req);
    return read(ctx, req, first);
  }
  throw new FhirkeepError('not-found', `No AuditEvent interaction at /${req.path}: an event has one version, 1`);
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
