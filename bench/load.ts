import autocannon from 'autocannon';

export interface LoadResult {
  readonly requests: number;
  /** Completed requests per second (2xx and others). */
  readonly opsPerSec: number;
  readonly p50: number;
  readonly p99: number;
  /** Responses that were not 2xx/3xx, plus socket errors and timeouts. */
  readonly errors: number;
}

export interface LoadSpec {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  /** Builds each request (method, path, headers, body). */
  readonly next: () => { method: 'GET' | 'POST' | 'PUT'; path: string; body?: string };
}

/** Runs autocannon (in this process; the servers run in their own) for a fixed time. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.seconds,
    headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json' },
    requests: [
      {
        setupRequest: (req) => {
          const r = spec.next();
          return { ...req, method: r.method, path: r.path, ...(r.body === undefined ? {} : { body: r.body }) };
        },
      },
    ],
  });
  const completed = result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    requests: completed,
    opsPerSec: completed / spec.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}
