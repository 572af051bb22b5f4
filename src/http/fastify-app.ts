import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { FhirkeepError, isFhirkeepError } from '../errors/fhirkeep-error.js';
import { answerClientError } from './client-errors.js';
import { DEFAULT_MAX_JSON_DEPTH, isJsonMediaType, nestsDeeperThan } from './json-depth.js';
import { sendOutcome } from './send-outcome.js';

export interface HttpOptions {
  readonly logger: Logger;
  readonly bodyLimit: number;
  /** Deepest nesting a JSON body may have (json-depth.ts; default DEFAULT_MAX_JSON_DEPTH). */
  readonly maxJsonDepth?: number;
  /** The proxies whose X-Forwarded-* headers are believed (Fastify's trustProxy); undefined: none. */
  readonly trustProxy?: number | readonly string[] | undefined;
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

/** A caller's `X-Request-Id` kept as the request's id: a short token, nothing a log or a header could be confused by. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is a sane token (one header, no spaces or controls, at most 128 characters), else a fresh UUID. */
export function requestIdOf(request: { readonly headers: Readonly<Record<string, string | string[] | undefined>> }): string {
  const sent = request.headers['x-request-id'];
  return typeof sent === 'string' && SANE_REQUEST_ID.test(sent) ? sent : crypto.randomUUID();
}

/**
 * A Fastify error that is the client's fault (a body over the limit, a bad Content-Length…) as
 * the FhirkeepError it stands for; undefined for any other (a bug: a 500).
 */
export function clientFault(error: FastifyError): FhirkeepError | undefined {
  const code = error.code === undefined ? undefined : FASTIFY_ERRORS[error.code];
  if (code !== undefined) return new FhirkeepError(code, error.message);
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return new FhirkeepError('bad-request', error.message);
  return undefined;
}

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

/** Sees a request once its answer is sent. */
export type AnswerListener = (request: FastifyRequest, reply: FastifyReply) => void;

/** Per app: the listeners that must also see the answers Fastify sends before routing. */
const answerListeners = new WeakMap<FastifyInstance, AnswerListener[]>();

/**
 * Calls `listener` for every answered request: routed ones (an onResponse hook, callback-style:
 * cheaper than an async one on every request), and those refused before routing (a malformed
 * URL), for which Fastify runs no hooks.
 */
export function onAnswered(app: FastifyInstance, listener: AnswerListener): void {
  answerListeners.set(app, [...(answerListeners.get(app) ?? []), listener]);
  app.addHook('onResponse', (request, reply, done) => {
    listener(request, reply);
    done();
  });
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
export function createHttpApp({ logger, bodyLimit, maxJsonDepth = DEFAULT_MAX_JSON_DEPTH, trustProxy, tls }: HttpOptions): FastifyInstance {
  const app = Fastify({
    // RFC 8996 deprecates TLS 1.0/1.1; health data gets 1.2 or newer only.
    ...(tls === undefined ? {} : { https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' as const } }),
    // Whoever logs a request (`{ req: request }`, as Fastify's own error paths do) gets its method
    // and path: never its query string, which may hold a code, a state or a token.
    loggerInstance: logger.child({}, { serializers: { req: (request: FastifyRequest) => ({ method: request.method, path: loggedPath(request) }) } }),
    bodyLimit,
    // request.ip and request.protocol come from X-Forwarded-For/-Proto only when a listed proxy sent them.
    ...(trustProxy === undefined ? {} : { trustProxy: typeof trustProxy === 'number' ? trustProxy : [...trustProxy] }),
    disableRequestLogging: true,
    // Request ids let a log line and an audit row be matched to a client's complaint without
    // logging bodies; a caller's own id is kept when it is a sane token (see requestIdOf).
    requestIdHeader: false,
    genReqId: requestIdOf,
    // registerDraining answers requests during a shutdown, as OperationOutcomes.
    return503OnClosing: false,
    // Errors Fastify raises before routing (e.g. a malformed URL) still become OperationOutcomes.
    frameworkErrors: (error, request, reply) => {
      // Answered before the onRequest hook, and no onResponse hook follows: done here instead.
      reply.header('X-Request-Id', request.id);
      reply.raw.once('finish', () => {
        for (const listener of answerListeners.get(request.server) ?? []) listener(request, reply);
      });
      const code = FASTIFY_ERRORS[error.code] ?? 'bad-request';
      void sendOutcome(reply, new FhirkeepError(code, error.message));
    },
    // …and so do those Node's HTTP parser refuses before Fastify sees them (e.g. a huge URL).
    clientErrorHandler: (error, socket) => answerClientError(logger, error, socket),
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    if (isJsonMediaType(request.headers['content-type']) && nestsDeeperThan(body as string, maxJsonDepth)) {
      done(new FhirkeepError('invalid-json', `The body nests arrays and objects more than ${maxJsonDepth} levels deep`), undefined);
      return;
    }
    done(null, body);
  });

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
    onAnswered(app, (request, reply) =>
      request.log.info({ method: request.method, path: loggedPath(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request'),
    );
  }

  app.setErrorHandler((error: FastifyError | FhirkeepError, request, reply) => {
    if (isFhirkeepError(error)) return sendOutcome(reply, error);
    const refusal = clientFault(error);
    if (refusal !== undefined) return sendOutcome(reply, refusal);
    request.log.error({ err: error }, 'unhandled error');
    return sendOutcome(reply, new FhirkeepError('internal', 'The server could not complete the request'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendOutcome(reply, new FhirkeepError('not-found', `Nothing at ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
  return app;
}
