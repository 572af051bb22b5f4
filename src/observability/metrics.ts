import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** Every metric name starts with this, the process defaults (CPU, memory, event loop, GC) too. */
export const METRIC_PREFIX = 'fhirkeep_';

/** The Prometheus text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A registry of one Fhirkeep instance with the process metrics. Never prom-client's global
 * default registry: tests (and the CLI) start several instances in one process, and each must
 * answer only for its own requests, pools and jobs.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/**
 * Runs `collect` once for all the metrics that read it in one scrape (the registry asks every
 * metric at once), and for scrapes that overlap: one database round trip per scrape, not one
 * per metric.
 */
export function oncePerScrape<T>(collect: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () =>
    (running ??= collect().finally(() => {
      running = undefined;
    }));
}

/** A scrape must answer even when the database does not: what takes longer than this counts as down. */
export const SCRAPE_QUERY_TIMEOUT_MS = 3000;

/** `work`'s value, or undefined if it fails or takes longer than `ms` (it runs on; its answer is dropped). */
export async function withinTime<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A gauge whose value `read` gives at each scrape. */
export function gaugeOf(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A counter whose total since the node started `read` gives at each scrape (the source keeps the count). */
export function counterOf(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
