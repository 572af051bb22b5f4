import { STATUS_CODES } from 'node:http';
import type { FhirResponse } from '../fhir-request.js';
import type { BundleEntryText } from '../bundle-text.js';

/** R4 Bundle.entry.response for one interaction's result, with the resource or outcome it returned. */
export function entryResponse(res: FhirResponse, omitBody: boolean): BundleEntryText {
  const response: Record<string, unknown> = { status: `${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim() };
  const h = res.headers;
  if (h.Location !== undefined) response.location = h.Location;
  if (h.ETag !== undefined) response.etag = h.ETag;
  if (h['Last-Modified'] !== undefined) response.lastModified = new Date(h['Last-Modified']).toISOString();
  const body = omitBody ? undefined : res.body;
  if (body !== undefined && (res.status >= 400 || isOutcome(body))) {
    response.outcome = body.kind === 'json' ? body.value : JSON.parse(body.text);
    return { rest: { response } };
  }
  const resourceJson = body === undefined ? undefined : body.kind === 'raw' ? body.text : JSON.stringify(body.value);
  return { ...(resourceJson === undefined ? {} : { resourceJson }), rest: { response } };
}

function isOutcome(body: NonNullable<FhirResponse['body']>): boolean {
  return body.kind === 'json' && (body.value as { resourceType?: unknown } | null)?.resourceType === 'OperationOutcome';
}
