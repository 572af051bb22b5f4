import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isFhirkeepError, type FhirkeepError } from '../../errors/fhirkeep-error.js';
import { sendOAuthError } from '../send-oauth-error.js';
import { sendOutcome } from '../send-outcome.js';
import type { Admit, RateLimits } from './rate-limits.js';

/** The token endpoint and the endpoints that authenticate a client as it does (RFC 7009, RFC 7662). */
const TOKEN_PATHS = new Set(['/oauth2/token', '/msk-apim/external/msk-oidc/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']);

type Refuse = (request: FastifyRequest, reply: FastifyReply, error: FhirkeepError) => void;
const asOutcome: Refuse = (_request, reply, e) => sendOutcome(reply, e);
const asOAuthError: Refuse = (request, reply, e) => void sendOAuthError(request, reply, e);

/**
 * Counts every FHIR API and token request against its address's limit before anything else runs
 * (routing aside): before its body is read, before its credential is checked, so a flood of bad
 * tokens or guessed secrets costs no more than a refusal. The login limit is counted by the
 * account service (every sign-in dialect goes through it) and the per-client limits where the
 * client is known (rate-limits.ts).
 */
export function registerRateLimitHooks(app: FastifyInstance, limits: Pick<RateLimits, 'fhirPerIp' | 'tokenPerIp'>): void {
  const { fhirPerIp, tokenPerIp } = limits;
  if (fhirPerIp === undefined && tokenPerIp === undefined) return;
  // Callback style: cheaper than an async hook on every request.
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    let admit: Admit | undefined;
    let refuse: Refuse = asOutcome;
    if (url.startsWith('/fhir') && (url.length === 5 || url[5] === '/' || url[5] === '?')) admit = fhirPerIp;
    else if (request.method === 'POST' && TOKEN_PATHS.has(url.split('?')[0] ?? '')) {
      admit = tokenPerIp;
      refuse = asOAuthError;
    }
    if (admit === undefined) return done();
    // A refusal answers here (done is not called); anything else is the error handler's.
    const fail = (e: unknown) => (isFhirkeepError(e) ? refuse(request, reply, e) : done(e as Error));
    let pending: void | Promise<void>;
    try {
      pending = admit(request.ip);
    } catch (e) {
      return fail(e);
    }
    if (pending === undefined) return done();
    pending.then(() => done(), fail);
  });
}
