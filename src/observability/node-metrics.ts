import type { Registry } from 'prom-client';
import { databaseMetrics, type DatabaseSource } from './database-metrics.js';
import { httpMetrics, type HttpMetrics } from './http-metrics.js';
import { jobMetrics, type JobSource } from './job-metrics.js';
import { createMetricsRegistry } from './metrics.js';

export interface NodeMetrics {
  /** The node's prom-client registry; more collectors may be added to it (the audit queue's). */
  readonly registry: Registry;
  /** What the HTTP hooks report requests to. */
  readonly http: HttpMetrics;
  /** Everything, in the Prometheus text format (what /metrics serves). */
  text(): Promise<string>;
}

/** The metrics of one Fhirkeep node (docs/observability.md): process, HTTP, database and jobs. */
export function createNodeMetrics(sources: { readonly database: DatabaseSource; readonly jobs: JobSource }): NodeMetrics {
  const registry = createMetricsRegistry();
  databaseMetrics(registry, sources.database);
  jobMetrics(registry, sources.jobs);
  const http = httpMetrics(registry);
  return { registry, http, text: async () => `${await registry.metrics()}\n${http.exposition()}` };
}
