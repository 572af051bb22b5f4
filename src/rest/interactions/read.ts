import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { StoredVersion } from '../../storage/types.js';
import { ifNoneMatchHits } from '../etag.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { parseHttpDate } from '../http-dates.js';
import type { RestContext } from '../rest-context.js';
import { readResponse, versionHeaders } from '../version-response.js';

/** FHIR R4 §3.1.0.2 read; deleted → 410 (§3.1.0.7), conditional read → 304 (§3.1.0.2). */
export async function read(ctx: RestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const current = await ctx.store.read(req.scope, type, id);
  const live = requireLive(current, type, id);
  if (notModified(req, live)) return { status: 304, headers: versionHeaders(live) };
  return readResponse(live);
}

/** A current version that can be shown, or the 404/410 the spec asks for. */
export function requireLive(v: StoredVersion | undefined, type: string, id: string): StoredVersion & { json: string } {
  if (v === undefined) throw new FhirkeepError('not-found', `${type}/${id} is not known`);
  if (v.deleted || v.json === null) {
    throw new FhirkeepError('gone', `${type}/${id} was deleted`, { headers: versionHeaders(v) });
  }
  return v as StoredVersion & { json: string };
}

function notModified(req: FhirRequest, v: StoredVersion): boolean {
  const { ifNoneMatch, ifModifiedSince } = req.headers;
  // RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since when both are sent.
  if (ifNoneMatch !== undefined) return ifNoneMatchHits(ifNoneMatch, v.versionId);
  if (ifModifiedSince !== undefined) {
    const since = parseHttpDate(ifModifiedSince);
    // HTTP dates have second precision; compare at that precision.
    return since !== undefined && Math.floor(v.lastUpdated.getTime() / 1000) <= Math.floor(since.getTime() / 1000);
  }
  return false;
}
