import { Counter, Histogram, type Registry } from 'prom-client';
import type { AuthFailure } from './auth-failures.js';

/** What the HTTP adapter reports of each answered request. */
export interface HttpMetrics {
  /** `route` is a route class (a route pattern, `fhir:<interaction>`, `unmatched`), never a URL. */
  request(method: string, route: string, status: number, seconds: number): void;
  authFailure(failure: AuthFailure): void;
}

/** Seconds; from a cached read (~1 ms) to a large export kick-off or a slow search. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The methods a label may name; anything else is `OTHER`, so a client cannot grow the label set. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function httpMetrics(registry: Registry): HttpMetrics {
  const requests = new Counter({
    name: 'fhirkeep_http_requests_total',
    help: 'HTTP requests answered, by method, route class and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'fhirkeep_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by method and route class',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'fhirkeep_auth_failures_total',
    help: 'Refused credentials and permissions, by endpoint and reason (an OAuth error code for the OAuth endpoints)',
    labelNames: ['endpoint', 'reason'] as const,
    registers: [registry],
  });
  return {
    request(method, route, status, seconds) {
      const m = METHODS.has(method) ? method : 'OTHER';
      requests.inc({ method: m, route, status });
      duration.observe({ method: m, route }, seconds);
    },
    authFailure(failure) {
      authFailures.inc({ endpoint: failure.endpoint, reason: failure.reason });
    },
  };
}
