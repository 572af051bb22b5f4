import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_TABLE } from '../errors/codes.js';
import { FhirkeepError, isFhirkeepError } from '../errors/fhirkeep-error.js';

/** RFC 6749 §5.1: token-endpoint responses must not be cached. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** The OAuth error code each request was answered with, for the metrics hook (src/http/metrics-hooks.ts). */
const sentErrors = new WeakMap<FastifyRequest, string>();

/** The OAuth error code `request` was answered with, if it was. */
export function oauthErrorSent(request: FastifyRequest): string | undefined {
  return sentErrors.get(request);
}

/**
 * Sends an error as OAuth does (RFC 6749 §5.2): `{"error", "error_description"}` with the
 * status from the one error table. Anything unexpected is logged and becomes server_error.
 */
export function sendOAuthError(request: FastifyRequest, reply: FastifyReply, e: unknown): FastifyReply {
  let error: FhirkeepError;
  if (isFhirkeepError(e)) {
    error = e;
  } else {
    request.log.error({ err: e }, 'unexpected error at an OAuth endpoint');
    error = new FhirkeepError('internal', 'The server could not complete the request');
  }
  const row = ERROR_TABLE[error.code];
  const oauth = 'oauth' in row ? row.oauth : 'invalid_request';
  sentErrors.set(request, oauth);
  return reply
    .status(error.status)
    .headers({ ...NO_STORE, ...error.headers })
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ error: oauth, error_description: error.message }));
}
