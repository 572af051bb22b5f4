import { informationOutcome } from '../errors/operation-outcome.js';
import type { StoredVersion } from '../storage/types.js';
import { etagOf } from './etag.js';
import type { FhirResponse } from './fhir-request.js';
import { httpDate } from './http-dates.js';
import { returnPreference } from './prefer.js';
import type { RestContext } from './rest-context.js';

/** The versioned URL of a stored version (R4 §3.1.0.8: Location of a create/update). */
export function versionUrl(ctx: RestContext, v: StoredVersion): string {
  return `${ctx.fhirBase()}/${v.type}/${v.id}/_history/${v.versionId}`;
}

export function versionHeaders(v: StoredVersion): Record<string, string> {
  return { ETag: etagOf(v.versionId), 'Last-Modified': httpDate(v.lastUpdated) };
}

/** A read's answer: the stored JSON text as is. */
export function readResponse(v: StoredVersion & { json: string }): FhirResponse {
  return { status: 200, headers: versionHeaders(v), body: { kind: 'raw', text: v.json } };
}

/** A create's or update's answer, shaped by `Prefer: return=` (R4 §3.1.0.6). */
export function writeResponse(ctx: RestContext, status: 200 | 201, v: StoredVersion, prefer: string | undefined, message: string): FhirResponse {
  const headers = { ...versionHeaders(v), Location: versionUrl(ctx, v) };
  switch (returnPreference(prefer)) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return { status, headers, body: { kind: 'json', value: informationOutcome(message) } };
    case 'representation':
      return { status, headers, ...(v.json === null ? {} : { body: { kind: 'raw', text: v.json } }) };
  }
}
