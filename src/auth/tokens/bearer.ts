import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { parseAuthorization } from './authorization-header.js';

/** RFC 6750 §3.1: a request without credentials gets a challenge without an error code. */
export function credentialsRequired(message = 'Authentication is required: send an access token as Authorization: Bearer'): FhirkeepError {
  return new FhirkeepError('unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep"' } });
}

/** The bearer token of a request (parameters after it are ignored here); a missing one is a 401, a malformed header a 400. */
export function bearerToken(authorization: string | undefined): string {
  const parsed = parseAuthorization(authorization);
  if (parsed === undefined) throw credentialsRequired();
  return parsed.token;
}
