import { Gauge, type Registry } from 'prom-client';
import type { ExportStatus } from '../storage/bulk/export-job-store.js';
import { counterOf, gaugeOf, SCRAPE_QUERY_TIMEOUT_MS, withinTime } from './metrics.js';

export interface JobSource {
  /** Export jobs of every node by status (one shared table). */
  exportJobs(): Promise<Readonly<Record<ExportStatus, number>>>;
  /** Export jobs this node runs now, and may run at once (0: no worker here). */
  exportRuns(): { readonly running: number; readonly slots: number };
  /** Request-statistics flushes the database refused since this node started. */
  statisticsFlushFailures(): number;
}

/** Cancelled jobs expire at once (src/storage/bulk/export-job-store.ts), so they are never counted. */
const STATES = ['queued', 'running', 'completed', 'failed'] as const satisfies readonly ExportStatus[];

/** Background work: bulk export jobs (deployment-wide) and this node's runs and statistics flushes. */
export function jobMetrics(registry: Registry, source: JobSource, timeoutMs = SCRAPE_QUERY_TIMEOUT_MS): void {
  new Gauge({
    name: 'fhirkeep_export_jobs',
    help: 'Bulk export jobs by state, of all nodes on this database (absent when the database did not answer)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await withinTime(source.exportJobs(), timeoutMs);
      this.reset();
      if (counts !== undefined) for (const state of STATES) this.set({ state }, counts[state]);
    },
  });
  gaugeOf(registry, 'fhirkeep_export_runs', 'Bulk export jobs this node is running now', () => source.exportRuns().running);
  gaugeOf(registry, 'fhirkeep_export_run_slots', 'Bulk export jobs this node may run at once (FHIRKEEP_EXPORT_WORKERS)', () => source.exportRuns().slots);
  counterOf(
    registry,
    'fhirkeep_request_statistics_flush_failures_total',
    'Writes of the per-application request statistics the database refused (the counts are kept and retried)',
    () => source.statisticsFlushFailures(),
  );
}
