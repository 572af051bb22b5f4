import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Where browser apps may call from any origin: the FHIR API, the token-family endpoints and discovery. */
const CORS_PATHS = /^\/(fhir(\/|$|\?)|oauth2\/(token|introspect|revoke|userinfo|jwks)|\.well-known\/)/;

/**
 * CORS for SMART browser apps (SMART App Launch §"CORS"). Any origin is allowed because these
 * endpoints authenticate with bearer tokens or client credentials in the request, never with
 * cookies: credentials mode stays off. Login, consent and admin pages get no CORS at all.
 */
export function registerCors(app: FastifyInstance): void {
  const open: FastifyCorsOptions = {
    origin: '*',
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'If-Match', 'If-None-Match', 'If-None-Exist', 'If-Modified-Since', 'Prefer', 'X-Request-Id'],
    exposedHeaders: ['Location', 'Content-Location', 'ETag', 'Last-Modified', 'WWW-Authenticate', 'X-Request-Id'],
    maxAge: 600,
  };
  void app.register(cors, {
    delegator: (request, callback) => callback(null, CORS_PATHS.test(request.url) && !bareOptions(request) ? open : { origin: false }),
  });
}

/**
 * An OPTIONS request that is no CORS preflight: a preflight names its origin and method (Fetch
 * §4.8). It is routed like any request (refused with an OperationOutcome), not answered with the
 * CORS plugin's plain-text 400.
 */
function bareOptions(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && (request.headers.origin === undefined || request.headers['access-control-request-method'] === undefined);
}
