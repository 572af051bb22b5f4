import type { Registry } from 'prom-client';
import { databaseMetrics, type DatabaseSource } from './database-metrics.js';
import { httpMetrics, type HttpMetrics } from './http-metrics.js';
import { jobMetrics, type JobSource } from './job-metrics.js';
import { createMetricsRegistry } from './metrics.js';

export interface NodeMetrics {
  /** What /metrics serves; more collectors may be added to it (the audit queue's). */
  readonly registry: Registry;
  /** What the HTTP hooks report requests to. */
  readonly http: HttpMetrics;
}

/** The metrics of one Fhirkeep node (docs/observability.md): process, HTTP, database and jobs. */
export function createNodeMetrics(sources: { readonly database: DatabaseSource; readonly jobs: JobSource }): NodeMetrics {
  const registry = createMetricsRegistry();
  databaseMetrics(registry, sources.database);
  jobMetrics(registry, sources.jobs);
  return { registry, http: httpMetrics(registry) };
}
