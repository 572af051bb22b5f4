import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/** A request's credentials: its bearer token and, for a data broker, the organization it acts for. */
export interface Authorization {
  readonly token: string;
  /** The `grp` parameter as sent (an organization id, or `system|value` of its identifier). */
  readonly grp: string | undefined;
}

/** RFC 9110 §11.1: the scheme name is case-insensitive; whitespace parts it from the credentials. */
const BEARER_SCHEME = /^Bearer(?:[ \t]+|$)/i;
/** RFC 6750 §2.1 b64token: the grammar bearer.ts holds tokens to, so `grp` does not loosen it. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** An organization id or identifier is short; anything longer is a client's mistake (or an attack). */
const MAX_GRP_LENGTH = 256;
const CONTROL = /\p{Cc}/u;

/**
 * Parses `Authorization: Bearer <token>[; grp=<organization>]…` (issue 6: a data broker names
 * the organization it acts for). Parameters are `key=value` parts after the token, split on `;`
 * and on their first `=`; keys are case-insensitive, and parts that are not `key=value` or whose
 * key is unknown are ignored, so clients may send parameters a later version understands.
 * A missing (or empty) header is undefined: the caller decides between the RFC 6750 §3.1
 * challenge and the development switch. Anything malformed is a 400 `invalid_request`.
 */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '') return undefined;
  const scheme = BEARER_SCHEME.exec(trimmed);
  if (scheme === null) throw invalidRequest('The Authorization header is not a Bearer token');
  const [first = '', ...parameters] = trimmed.slice(scheme[0].length).split(';');
  const token = first.trim();
  if (token === '') throw invalidRequest('The Authorization header has no token');
  if (!TOKEN.test(token)) throw invalidRequest('The Authorization header is not a Bearer token');
  return { token, grp: grpOf(parameters) };
}

function grpOf(parameters: readonly string[]): string | undefined {
  let grp: string | undefined;
  for (const part of parameters) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== 'grp') continue;
    // Two grp would leave which organization is meant to whoever reads the header last.
    if (grp !== undefined) throw invalidRequest('The Authorization header names grp more than once');
    grp = part.slice(eq + 1).trim();
    if (grp === '') throw invalidRequest('The Authorization header’s grp is empty');
    if (grp.length > MAX_GRP_LENGTH) throw invalidRequest(`The Authorization header’s grp is longer than ${MAX_GRP_LENGTH} characters`);
    if (CONTROL.test(grp)) throw invalidRequest('The Authorization header’s grp contains control characters');
  }
  return grp;
}

/** RFC 6750 §3.1: a malformed request is a 400 whose challenge says `invalid_request`. */
function invalidRequest(message: string): FhirkeepError {
  return new FhirkeepError('bad-request', message, { headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep", error="invalid_request"' } });
}
