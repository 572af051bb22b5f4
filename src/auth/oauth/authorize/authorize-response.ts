import { ERROR_TABLE } from '../../../errors/codes.js';
import type { FhirkeepError } from '../../../errors/fhirkeep-error.js';

/** Where an authorization response goes and what it echoes. */
export interface ResponseTarget {
  readonly redirectUri: string;
  readonly state: string | undefined;
}

/**
 * The redirect URI with response parameters added to its query, keeping any query it had
 * (RFC 6749 §3.1.2), and `iss` so the client can tell which server answered (RFC 9207 §2).
 */
function withParams(target: ResponseTarget, issuer: string, params: Record<string, string>): string {
  const url = new URL(target.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (target.state !== undefined) url.searchParams.set('state', target.state);
  url.searchParams.set('iss', issuer);
  return url.toString();
}

/** RFC 6749 §4.1.2: the code goes back to the client. */
export function codeRedirect(target: ResponseTarget, issuer: string, code: string): string {
  return withParams(target, issuer, { code });
}

/** RFC 6749 §4.1.2.1: an error goes back to the client once its redirect URI is trusted. */
export function errorRedirect(target: ResponseTarget, issuer: string, error: FhirkeepError): string {
  const oauth: string | undefined = (ERROR_TABLE[error.code] as { oauth?: string }).oauth;
  return withParams(target, issuer, { error: oauth ?? 'server_error', error_description: error.message });
}
