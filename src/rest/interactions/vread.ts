import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { RestContext } from '../rest-context.js';
import { readResponse, versionHeaders } from '../version-response.js';

/** FHIR R4 §3.1.0.3 vread; a version that records a delete → 410. */
export async function vread(ctx: RestContext, req: FhirRequest, type: string, id: string, vid: string): Promise<FhirResponse> {
  // Version ids are server-assigned integers, so anything else names no version.
  if (!/^[1-9]\d{0,8}$/.test(vid)) throw new FhirkeepError('not-found', `${type}/${id} has no version ${vid}`);
  const v = await ctx.store.vread(req.scope, type, id, Number(vid));
  if (v === undefined) throw new FhirkeepError('not-found', `${type}/${id} has no version ${vid}`);
  if (v.deleted || v.json === null) {
    throw new FhirkeepError('gone', `Version ${vid} of ${type}/${id} records its deletion`, { headers: versionHeaders(v) });
  }
  return readResponse(v as typeof v & { json: string });
}
