import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authFailureOf } from '../observability/auth-failures.js';
import { fhirInteraction } from '../observability/fhir-interaction.js';
import type { HttpMetrics } from '../observability/http-metrics.js';
import { onAnswered } from './fastify-app.js';
import { oauthErrorSent } from './send-oauth-error.js';

/** Counts every answered request by route class and status, and every refused credential (docs/observability.md). */
export function registerMetricsHooks(app: FastifyInstance, metrics: HttpMetrics): void {
  onAnswered(app, (request, reply) => {
    const route = routeClass(request);
    const status = reply.statusCode;
    metrics.request(request.method, route, status, reply.elapsedTime / 1000);
    const failure = authFailureOf(route, status, oauthErrorSent(request));
    if (failure !== undefined) metrics.authFailure(failure);
  });
}

/**
 * A label that names the kind of request, never its URL: the registered route pattern (a fixed
 * set), the FHIR interaction for the FHIR catch-all routes, `unmatched` for everything else.
 */
export function routeClass(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  if (pattern === undefined) return 'unmatched';
  return pattern === '/fhir' || pattern === '/fhir/*' ? `fhir:${fhirInteraction(request.method, request.url)}` : pattern;
}
