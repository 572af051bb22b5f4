import { Counter, type Registry } from 'prom-client';
import type { AuthFailure } from './auth-failures.js';

/** What the HTTP adapter reports of each answered request. */
export interface HttpMetrics {
  /** `route` is a route class (a route pattern, `fhir:<interaction>`, `unmatched`), never a URL. */
  request(method: string, route: string, status: number, seconds: number): void;
  authFailure(failure: AuthFailure): void;
  /** The request counter and latency histogram in the Prometheus text format (0.0.4). */
  exposition(): string;
}

/** Seconds; from a cached read (~1 ms) to a large export kick-off or a slow search. */
const LATENCY_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The methods a label may name; anything else is `OTHER`, so a client cannot grow the label set. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** One method and route class: its requests by status, and its latencies by bucket. */
interface RouteStats {
  readonly labels: string;
  readonly statuses: Map<number, number>;
  /** Requests per latency bucket (not cumulative); the last one is above every bound. */
  readonly buckets: number[];
  count: number;
  sum: number;
}

/**
 * Requests and latencies per route class. Kept in plain maps and written out at scrape time:
 * prom-client's labelled counter and histogram hash their labels on every call (~0.5 µs of CPU
 * per request measured here), while this costs a map lookup and a few additions.
 * Refused credentials are rare and go to an ordinary prom-client counter.
 */
export function httpMetrics(registry: Registry): HttpMetrics {
  const routes = new Map<string, RouteStats>();
  const authFailures = new Counter({
    name: 'fhirkeep_auth_failures_total',
    help: 'Refused credentials and permissions, by endpoint and reason (an OAuth error code for the OAuth endpoints)',
    labelNames: ['endpoint', 'reason'] as const,
    registers: [registry],
  });
  return {
    request(method, route, status, seconds) {
      const m = METHODS.has(method) ? method : 'OTHER';
      const key = `${m} ${route}`;
      let stats = routes.get(key);
      if (stats === undefined) {
        stats = { labels: `method="${m}",route="${escapeLabel(route)}"`, statuses: new Map(), buckets: new Array<number>(LATENCY_BOUNDS.length + 1).fill(0), count: 0, sum: 0 };
        routes.set(key, stats);
      }
      stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
      let bucket = 0;
      while (bucket < LATENCY_BOUNDS.length && seconds > (LATENCY_BOUNDS[bucket] as number)) bucket++;
      stats.buckets[bucket] = (stats.buckets[bucket] ?? 0) + 1;
      stats.count++;
      stats.sum += seconds;
    },
    authFailure(failure) {
      authFailures.inc({ endpoint: failure.endpoint, reason: failure.reason });
    },
    exposition() {
      const requests = ['# HELP fhirkeep_http_requests_total HTTP requests answered, by method, route class and status', '# TYPE fhirkeep_http_requests_total counter'];
      const latency = [
        '# HELP fhirkeep_http_request_duration_seconds Time from receiving a request to sending its answer, by method and route class',
        '# TYPE fhirkeep_http_request_duration_seconds histogram',
      ];
      for (const stats of routes.values()) {
        for (const [status, n] of stats.statuses) requests.push(`fhirkeep_http_requests_total{${stats.labels},status="${status}"} ${n}`);
        let cumulative = 0;
        LATENCY_BOUNDS.forEach((bound, i) => {
          cumulative += stats.buckets[i] ?? 0;
          latency.push(`fhirkeep_http_request_duration_seconds_bucket{${stats.labels},le="${bound}"} ${cumulative}`);
        });
        latency.push(
          `fhirkeep_http_request_duration_seconds_bucket{${stats.labels},le="+Inf"} ${stats.count}`,
          `fhirkeep_http_request_duration_seconds_sum{${stats.labels}} ${stats.sum}`,
          `fhirkeep_http_request_duration_seconds_count{${stats.labels}} ${stats.count}`,
        );
      }
      return `${requests.join('\n')}\n\n${latency.join('\n')}\n`;
    },
  };
}

/** Text format 0.0.4: a label value escapes backslash, double quote and line feed. */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}
