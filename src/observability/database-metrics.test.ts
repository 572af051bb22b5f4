import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { parseSamples, sampleValue } from '../../test/support/prometheus.js';
import { databaseMetrics } from './database-metrics.js';
import { jobMetrics } from './job-metrics.js';

const scrape = async (registry: Registry) => parseSamples(await registry.metrics());

test('database: pool sizes, this node’s connections by pool and state, the ping’s time; one round trip per scrape', async () => {
  const registry = new Registry();
  let pings = 0;
  let asked = 0;
  databaseMetrics(registry, {
    poolSize: 7,
    ping: async () => {
      pings++;
      await new Promise((r) => setTimeout(r, 20));
    },
    connections: async () => {
      asked++;
      return [
        { pool: 'main', state: 'active', count: 2 },
        { pool: 'main', state: 'idle', count: 3 },
        { pool: 'search', state: 'idle in transaction', count: 1 },
      ];
    },
  });
  const samples = await scrape(registry);
  assert.equal(sampleValue(samples, 'fhirkeep_db_pool_max_connections', { pool: 'main' }), 7);
  assert.equal(sampleValue(samples, 'fhirkeep_db_pool_max_connections', { pool: 'search' }), 7);
  assert.equal(sampleValue(samples, 'fhirkeep_db_up'), 1);
  const ping = sampleValue(samples, 'fhirkeep_db_ping_seconds') ?? 0;
  assert.ok(ping >= 0.015 && ping < 2, `the ping took ${ping} s`);
  assert.equal(sampleValue(samples, 'fhirkeep_db_connections', { pool: 'main', state: 'active' }), 2);
  assert.equal(sampleValue(samples, 'fhirkeep_db_connections', { pool: 'search', state: 'idle in transaction' }), 1);
  assert.deepEqual([pings, asked], [1, 1], 'the three metrics share one ping and one pg_stat_activity query');
});

test('database down or hanging: db_up 0 within the time limit, and no stale numbers', async () => {
  const registry = new Registry();
  let mode: 'up' | 'failing' | 'hanging' = 'up';
  databaseMetrics(
    registry,
    {
      poolSize: 2,
      ping: () => (mode === 'up' ? Promise.resolve() : mode === 'failing' ? Promise.reject(new Error('connection refused')) : new Promise<void>(() => {})),
      connections: async () => [{ pool: 'main', state: 'idle', count: 2 }],
    },
    100,
  );
  assert.equal(sampleValue(await scrape(registry), 'fhirkeep_db_connections', { pool: 'main', state: 'idle' }), 2);
  for (const m of ['failing', 'hanging'] as const) {
    mode = m;
    const started = Date.now();
    const samples = await scrape(registry);
    assert.ok(Date.now() - started < 2000, `${m}: the scrape still answers`);
    assert.equal(sampleValue(samples, 'fhirkeep_db_up'), 0, m);
    const waited = sampleValue(samples, 'fhirkeep_db_ping_seconds') ?? -1;
    assert.ok(m === 'hanging' ? waited >= 0.09 : waited < 0.09, `${m}: the ping's time until it failed or was given up (${waited} s)`);
    assert.equal(samples.filter((s) => s.name === 'fhirkeep_db_connections').length, 0, `${m}: the last scrape’s connections are not repeated`);
  }
});

test('jobs: export jobs by state, this node’s runs and slots, statistics flush failures; a failing count leaves the states out', async () => {
  const registry = new Registry();
  let counts: Promise<{ queued: number; running: number; completed: number; failed: number; cancelled: number }> = Promise.resolve({ queued: 4, running: 1, completed: 2, failed: 1, cancelled: 0 });
  jobMetrics(registry, {
    exportJobs: () => counts,
    exportRuns: () => ({ running: 1, slots: 2 }),
    statisticsFlushFailures: () => 3,
  });
  let samples = await scrape(registry);
  assert.deepEqual(
    ['queued', 'running', 'completed', 'failed'].map((state) => sampleValue(samples, 'fhirkeep_export_jobs', { state })),
    [4, 1, 2, 1],
  );
  assert.equal(sampleValue(samples, 'fhirkeep_export_jobs', { state: 'cancelled' }), undefined, 'cancelled jobs expire at once');
  assert.equal(sampleValue(samples, 'fhirkeep_export_runs'), 1);
  assert.equal(sampleValue(samples, 'fhirkeep_export_run_slots'), 2);
  assert.equal(sampleValue(samples, 'fhirkeep_request_statistics_flush_failures_total'), 3);
  counts = Promise.reject(new Error('database down'));
  samples = await scrape(registry);
  assert.equal(samples.filter((s) => s.name === 'fhirkeep_export_jobs').length, 0);
  assert.equal(sampleValue(samples, 'fhirkeep_export_runs'), 1, 'what the node knows itself is still there');
});
