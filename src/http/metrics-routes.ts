import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { METRICS_CONTENT_TYPE } from '../observability/metrics.js';
import { sendOutcome } from './send-outcome.js';

export interface MetricsRouteOptions {
  /** The node's metrics in the Prometheus text format. */
  readonly text: () => Promise<string>;
  /** FHIRKEEP_METRICS_TOKEN: the bearer token a scraper sends; undefined: loopback callers only. */
  readonly token: string | undefined;
}

/**
 * `/metrics` (CONTRACT.md) in the Prometheus text format. Metrics tell client ids and the shape of
 * the traffic, so a public deployment must not hand them to anyone: with a token, only a scraper
 * that sends it; without one, only a caller on this machine (docs/observability.md).
 */
export function registerMetricsRoutes(app: FastifyInstance, { text, token }: MetricsRouteOptions): void {
  const allowed = token === undefined ? undefined : digest(token);
  app.get('/metrics', async (request, reply) => {
    const refusal = allowed === undefined ? loopbackOnly(request) : bearerRequired(request, allowed);
    if (refusal !== undefined) {
      sendOutcome(reply, refusal, 'application/json');
      return reply;
    }
    return reply.type(METRICS_CONTENT_TYPE).header('cache-control', 'no-store').send(await text());
  });
}

/** Both sides hashed first: timingSafeEqual needs equal lengths, and the length must not leak either. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function bearerRequired(request: FastifyRequest, allowed: Buffer): FhirkeepError | undefined {
  const sent = BEARER.exec(request.headers.authorization ?? '')?.[1];
  if (sent !== undefined && timingSafeEqual(digest(sent), allowed)) return undefined;
  return new FhirkeepError('unauthorized', 'Send the metrics token (FHIRKEEP_METRICS_TOKEN) as Authorization: Bearer', {
    headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep-metrics"' },
  });
}

function loopbackOnly(request: FastifyRequest): FhirkeepError | undefined {
  if (isLoopback(request.socket.remoteAddress)) return undefined;
  return new FhirkeepError('forbidden', 'Metrics are served only to this machine unless FHIRKEEP_METRICS_TOKEN is set');
}

/**
 * 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (a dual-stack listener's view of 127.0.0.1).
 * The socket's own peer, not X-Forwarded-For: a header is the caller's to write.
 */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  // Node writes IPv6 peers compressed: the loopback address is always `::1`.
  return isIP(v4) === 4 ? v4.startsWith('127.') : address === '::1';
}
