import type { Registry } from 'prom-client';
import type { AuditQueueStats } from '../audit/audit-trail.js';
import { auditQueueMetrics } from './audit-queue-metrics.js';
import { databaseMetrics, type DatabaseSource } from './database-metrics.js';
import { httpMetrics, type HttpMetrics } from './http-metrics.js';
import { jobMetrics, type JobSource } from './job-metrics.js';
import { createMetricsRegistry } from './metrics.js';

export interface NodeMetrics {
  /** The node's prom-client registry. */
  readonly registry: Registry;
  /** What the HTTP hooks report requests to. */
  readonly http: HttpMetrics;
  /** Everything, in the Prometheus text format (what /metrics serves). */
  text(): Promise<string>;
}

/** The metrics of one Fhirkeep node (docs/observability.md): process, HTTP, database, jobs and the audit queue. */
export function createNodeMetrics(sources: { readonly database: DatabaseSource; readonly jobs: JobSource; readonly auditQueue: () => AuditQueueStats }): NodeMetrics {
  const registry = createMetricsRegistry();
  databaseMetrics(registry, sources.database);
  jobMetrics(registry, sources.jobs);
  auditQueueMetrics(registry, sources.auditQueue);
  const http = httpMetrics(registry);
  return { registry, http, text: async () => `${await registry.metrics()}\n${http.exposition()}` };
}
