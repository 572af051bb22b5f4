import type { FastifyInstance } from 'fastify';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { sendOAuthError } from './send-oauth-error.js';
import { sendOutcome } from './send-outcome.js';

export interface Drain {
  /** True once the shutdown has begun. */
  readonly draining: () => boolean;
  /** Begins the shutdown: requests from now on are refused; those already running go on. */
  start(): void;
}

/** Where a client expects an OAuth error (RFC 6749 §5.2) rather than an OperationOutcome. */
const OAUTH_PREFIXES = ['/oauth2/', '/msk-apim/'];

/** What a client should wait before it tries this node again: the listener is closing, so another node, or this one restarted. */
const RETRY_AFTER_SECONDS = '5';

/**
 * Refuses requests that arrive while the node shuts down (on a connection opened before: the
 * listener accepts no new ones) with a 503 and `Connection: close`, so a client retries
 * elsewhere instead of waiting for a node that is going away. /healthz and /readyz pass: the
 * process is still alive, and /readyz says it is draining itself. Instead of Fastify's own
 * return503OnClosing, whose bare JSON body is neither an OperationOutcome nor an OAuth error.
 */
export function registerDraining(app: FastifyInstance): Drain {
  let draining = false;
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    if (!draining || path === '/healthz' || path === '/readyz') {
      done();
      return;
    }
    reply.headers({ connection: 'close', 'retry-after': RETRY_AFTER_SECONDS });
    const error = new FhirkeepError('unavailable', 'This Fhirkeep node is shutting down; send the request again');
    if (OAUTH_PREFIXES.some((p) => path.startsWith(p))) sendOAuthError(request, reply, error);
    else sendOutcome(reply, error, path.startsWith('/api/') ? 'application/json' : 'application/fhir+json');
  });
  return {
    draining: () => draining,
    start() {
      draining = true;
    },
  };
}
