import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The bearer token of a request; a missing or malformed header is a 401 with the RFC 6750 §3 challenge. */
export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
    throw new FhirkeepError('unauthorized', 'Authentication is required: send an access token as Authorization: Bearer', {
      headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep"' },
    });
  }
  const match = BEARER.exec(authorization);
  if (match?.[1] === undefined) {
    // RFC 6750 §3.1: invalid_request, status 400.
    throw new FhirkeepError('bad-request', 'The Authorization header is not a Bearer token', {
      headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep", error="invalid_request"' },
    });
  }
  return match[1];
}
