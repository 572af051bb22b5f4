/**
 * The one table that maps every Fhirkeep error code to its HTTP status, its FHIR
 * OperationOutcome issue code (R4 ValueSet issue-type) and, where the error can reach an
 * OAuth client, its RFC 6749 §5.2 error code. Handlers throw codes; adapters read this table.
 */
export const ERROR_TABLE = {
  'bad-request': { status: 400, issue: 'invalid' },
  'invalid-json': { status: 400, issue: 'structure' },
  'invalid-resource': { status: 400, issue: 'structure' },
  'invalid-id': { status: 400, issue: 'value' },
  'id-mismatch': { status: 400, issue: 'invalid' },
  'invalid-parameter': { status: 400, issue: 'value' },
  'invalid-patch': { status: 400, issue: 'invalid' },
  'unknown-operation': { status: 400, issue: 'not-supported' },
  'unauthorized': { status: 401, issue: 'login', oauth: 'invalid_token' },
  'forbidden': { status: 403, issue: 'forbidden', oauth: 'insufficient_scope' },
  // OAuth 2.0 errors (RFC 6749 §4.1.2.1, §5.2; RFC 7009 §2.2.1): only OAuth endpoints throw these.
  'invalid-request': { status: 400, issue: 'invalid', oauth: 'invalid_request' },
  'invalid-client': { status: 401, issue: 'login', oauth: 'invalid_client' },
  'invalid-grant': { status: 400, issue: 'invalid', oauth: 'invalid_grant' },
  'unauthorized-client': { status: 400, issue: 'forbidden', oauth: 'unauthorized_client' },
  'unsupported-grant-type': { status: 400, issue: 'not-supported', oauth: 'unsupported_grant_type' },
  'unsupported-response-type': { status: 400, issue: 'not-supported', oauth: 'unsupported_response_type' },
  'invalid-scope': { status: 400, issue: 'invalid', oauth: 'invalid_scope' },
  'access-denied': { status: 403, issue: 'forbidden', oauth: 'access_denied' },
  // OpenID Connect Core §3.1.2.6: `prompt=none` cannot be honoured without a login or a consent page.
  'login-required': { status: 401, issue: 'login', oauth: 'login_required' },
  'consent-required': { status: 403, issue: 'forbidden', oauth: 'consent_required' },
  'not-found': { status: 404, issue: 'not-found' },
  'unknown-type': { status: 404, issue: 'not-supported' },
  'method-not-allowed': { status: 405, issue: 'not-supported' },
  'not-acceptable': { status: 406, issue: 'not-supported' },
  // Node's HTTP parser gave up on the request before any route saw it (src/http/client-errors.ts).
  'request-timeout': { status: 408, issue: 'timeout' },
  'version-conflict': { status: 409, issue: 'conflict' },
  // A name or code that is already taken (admin API: a content type, a coding mapped elsewhere).
  'duplicate': { status: 409, issue: 'duplicate' },
  'gone': { status: 410, issue: 'deleted' },
  'precondition-failed': { status: 412, issue: 'conflict' },
  'multiple-matches': { status: 412, issue: 'multiple-matches' },
  'payload-too-large': { status: 413, issue: 'too-long' },
  'unsupported-media-type': { status: 415, issue: 'not-supported' },
  'unprocessable': { status: 422, issue: 'processing' },
  'headers-too-large': { status: 431, issue: 'too-long' },
  'too-many-requests': { status: 429, issue: 'throttled', oauth: 'temporarily_unavailable' },
  'internal': { status: 500, issue: 'exception', oauth: 'server_error' },
  'not-implemented': { status: 501, issue: 'not-supported' },
  'unavailable': { status: 503, issue: 'transient', oauth: 'temporarily_unavailable' },
} as const satisfies Record<string, { status: number; issue: string; oauth?: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** The error code an HTTP status stands for (first in table order), e.g. for a failed bundle entry. */
export function codeForStatus(status: number): ErrorCode {
  for (const [code, row] of Object.entries(ERROR_TABLE) as [ErrorCode, (typeof ERROR_TABLE)[ErrorCode]][]) {
    if (row.status === status) return code;
  }
  return status >= 500 ? 'internal' : 'bad-request';
}
