import { percentile, type RunResult } from '../load.js';

export interface Latencies {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** Nearest-rank percentiles, ms; NaN when there are none. */
export function latencySummary(ms: readonly number[]): Latencies {
  const sorted = Float64Array.from(ms).sort();
  return { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99) };
}

export interface TimedResponse {
  readonly status: number;
  /** Request sent → whole body received. */
  readonly ms: number;
  readonly body: string;
}

export async function timedGet(url: string, headers: Readonly<Record<string, string>> = {}): Promise<TimedResponse> {
  const started = performance.now();
  const res = await fetch(url, { headers: { accept: 'application/fhir+json', ...headers } });
  const body = await res.text();
  return { status: res.status, ms: performance.now() - started, body };
}

/** Whichever ends first. */
export interface Budget {
  readonly requests: number;
  readonly seconds: number;
}

export interface SequentialResult extends RunResult, Latencies {
  /** Mean number of entries in the searchset pages returned: a search that finds nothing is fast for nothing. */
  readonly meanHits: number;
}

/**
 * One request at a time, as a user's app waits on each search: the latency of one query on an
 * otherwise idle server, not throughput under contention. A warm-up (discarded) first.
 */
export async function runSequential(origin: string, next: () => string, warmup: Budget, measured: Budget, headers: Readonly<Record<string, string>> = {}): Promise<SequentialResult> {
  await loop(origin, next, warmup, headers);
  return loop(origin, next, measured, headers);
}

async function loop(origin: string, next: () => string, budget: Budget, headers: Readonly<Record<string, string>>): Promise<SequentialResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let hits = 0;
  const started = performance.now();
  const deadline = started + budget.seconds * 1000;
  for (let i = 0; i < budget.requests && performance.now() < deadline; i++) {
    const res = await timedGet(`${origin}${next()}`, headers);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status === 200) {
      latencies.push(res.ms);
      hits += entryCount(res.body);
    } else if (errorSamples.length < 3) {
      errorSamples.push(`${res.status} ${res.body.slice(0, 300)}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    ok: latencies.length,
    errors: Object.entries(statuses).reduce((n, [s, c]) => (s === '200' ? n : n + c), 0),
    statuses,
    errorSamples,
    seconds,
    opsPerSec: latencies.length / seconds,
    ...latencySummary(latencies),
    meanHits: latencies.length === 0 ? Number.NaN : hits / latencies.length,
  };
}

export function entryCount(bundleText: string): number {
  return (JSON.parse(bundleText) as { entry?: unknown[] }).entry?.length ?? 0;
}
