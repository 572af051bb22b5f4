import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSamples } from '../../test/support/prometheus.js';
import { createMetricsRegistry, METRICS_CONTENT_TYPE } from './metrics.js';

test('each registry has the process metrics, prefixed fhirkeep_; two instances do not share one', async () => {
  const first = createMetricsRegistry();
  const second = createMetricsRegistry();
  const names = new Set(parseSamples(await first.metrics()).map((s) => s.name));
  for (const name of ['fhirkeep_process_cpu_user_seconds_total', 'fhirkeep_process_resident_memory_bytes', 'fhirkeep_nodejs_eventloop_lag_seconds', 'fhirkeep_nodejs_heap_size_used_bytes']) {
    assert.ok(names.has(name), name);
  }
  assert.ok([...names].every((n) => n.startsWith('fhirkeep_')), 'no metric without the prefix');
  assert.notEqual(first, second);
  assert.ok(parseSamples(await second.metrics()).length > 0, 'a second registry in the same process works too (no duplicate-name error)');
  assert.equal(METRICS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
});
