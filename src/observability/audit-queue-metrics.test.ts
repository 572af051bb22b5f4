import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { parseSamples, sampleValue } from '../../test/support/prometheus.js';
import type { AuditQueueStats } from '../audit/audit-trail.js';
import { auditQueueMetrics } from './audit-queue-metrics.js';

test('the audit queue: depth and capacity as gauges, the totals as counters, read from the source at each scrape', async () => {
  const registry = new Registry();
  let stats: AuditQueueStats = { depth: 3, capacity: 1000, written: 120, failedBatches: 1, waited: 2, overflowed: 0 };
  auditQueueMetrics(registry, () => stats);
  const scrape = async () => parseSamples(await registry.metrics());
  let samples = await scrape();
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_depth'), 3);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_capacity'), 1000);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_events_written_total'), 120);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_batches_failed_total'), 1);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_waits_total'), 2);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_overflow_total'), 0);

  stats = { depth: 0, capacity: 1000, written: 123, failedBatches: 1, waited: 5, overflowed: 4 };
  samples = await scrape();
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_depth'), 0, 'a gauge follows the queue down');
  assert.equal(sampleValue(samples, 'fhirkeep_audit_events_written_total'), 123, 'a counter is the source’s total, not a sum of scrapes');
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_waits_total'), 5);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_overflow_total'), 4);
  const text = await registry.metrics();
  assert.match(text, /# TYPE fhirkeep_audit_queue_depth gauge/);
  assert.match(text, /# TYPE fhirkeep_audit_events_written_total counter/);
});
