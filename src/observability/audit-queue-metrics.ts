import type { Registry } from 'prom-client';
import type { AuditQueueStats } from '../audit/audit-trail.js';
import { counterOf, gaugeOf } from './metrics.js';

/** The audit trail's queue, read from `stats` at each scrape. */
export function auditQueueMetrics(registry: Registry, stats: () => AuditQueueStats): void {
  gaugeOf(registry, 'fhirkeep_audit_queue_depth', 'AuditEvents waiting to be written', () => stats().depth);
  gaugeOf(registry, 'fhirkeep_audit_queue_capacity', 'AuditEvents the queue holds at most', () => stats().capacity);
  counterOf(registry, 'fhirkeep_audit_events_written_total', 'AuditEvents written', () => stats().written);
  counterOf(registry, 'fhirkeep_audit_batches_failed_total', 'AuditEvent batches the database refused', () => stats().failedBatches);
  counterOf(registry, 'fhirkeep_audit_queue_waits_total', 'Times an AuditEvent waited for room in the full queue', () => stats().waited);
  counterOf(registry, 'fhirkeep_audit_queue_overflow_total', 'AuditEvents that found the queue full and could not wait', () => stats().overflowed);
}
