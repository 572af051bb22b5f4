import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { sendOutcome } from './send-outcome.js';

export interface HttpOptions {
  readonly logger: Logger;
  readonly bodyLimit: number;
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

/** Fastify's own error codes for bad requests, mapped to ours so even they get an OperationOutcome. */
const FASTIFY_ERRORS: Record<string, FhirkeepError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_BAD_URL: 'bad-request',
};

/** Per app: path prefixes whose next segment is a secret (a token), logged as `{token}` instead. */
const secretSegments = new WeakMap<FastifyInstance, string[]>();

/**
 * Marks `prefix` + one path segment as a secret for the request log. Matched on the raw path, not
 * the route: a request that matches no route (a GET to a POST-only path, a 404) carries the
 * token just the same.
 */
export function logWithoutSecretSegment(app: FastifyInstance, prefix: string): void {
  const prefixes = secretSegments.get(app) ?? [];
  prefixes.push(prefix);
  secretSegments.set(app, prefixes);
}

function loggedPath(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '';
  const prefix = secretSegments.get(request.server)?.find((p) => path.startsWith(p));
  return prefix === undefined ? path : `${prefix}{token}${path.slice(prefix.length).replace(/^[^/]*/, '')}`;
}

/**
 * The HTTP shell: bodies arrive as text (the router parses them, so every transport gets the
 * same errors), every error leaves as an OperationOutcome, nothing escapes as a bare 500.
 */
export function createHttpApp({ logger, bodyLimit, tls }: HttpOptions): FastifyInstance {
  const app = Fastify({
    // RFC 8996 deprecates TLS 1.0/1.1; health data gets 1.2 or newer only.
    ...(tls === undefined ? {} : { https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' as const } }),
    loggerInstance: logger,
    bodyLimit,
    disableRequestLogging: true,
    // Request ids let a log line be matched to a client's complaint without logging bodies.
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    // registerDraining answers requests during a shutdown, as OperationOutcomes.
    return503OnClosing: false,
    // Errors Fastify raises before routing (e.g. a malformed URL) still become OperationOutcomes.
    frameworkErrors: (error, _request, reply) => {
      const code = FASTIFY_ERRORS[error.code] ?? 'bad-request';
      void sendOutcome(reply, new FhirkeepError(code, error.message));
    },
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));

  // Callback-style hooks: cheaper than async ones on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  // A NUL that a path parameter decoded to (`%00`) can name nothing stored (text columns cannot
  // hold it), and in a query PostgreSQL refuses it with an error: answered here as the 404 of a
  // path that names nothing, once for every /api route, instead of a guard in each store. The
  // FHIR routes decode their own path.
  app.addHook('preValidation', (request, reply, done) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (params !== undefined && request.url.startsWith('/api/') && Object.values(params).some((v) => typeof v === 'string' && v.includes('\0'))) {
      sendOutcome(reply, new FhirkeepError('not-found', `Nothing at ${request.method} ${request.url.split('?')[0] ?? ''}: a path segment holds a NUL character`), 'application/json');
      return;
    }
    done();
  });
  if (logger.isLevelEnabled('info')) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        { method: request.method, path: loggedPath(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request',
      );
      done();
    });
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const code = error.code === undefined ? undefined : FASTIFY_ERRORS[error.code];
    if (code !== undefined) return sendOutcome(reply, new FhirkeepError(code, error.message));
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendOutcome(reply, new FhirkeepError('bad-request', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendOutcome(reply, new FhirkeepError('internal', 'The server could not complete the request'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendOutcome(reply, new FhirkeepError('not-found', `Nothing at ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
  return app;
}
