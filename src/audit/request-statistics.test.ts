import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { bucketOf, bucketOfBound, boundOfBucket, emptyHistogram, LATENCY_BOUNDS_MS, LATENCY_BUCKETS, percentile } from './latency-histogram.js';
import { startRequestStatistics, statisticsClient, statisticsPath, StatisticsAggregator, type RequestRecord, type StatisticsBatch } from './request-statistics.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 2, 14, 23, 59, 0);
const silent = pino({ level: 'silent' });
const req = (over: Partial<RequestRecord> = {}): RequestRecord => ({ clientId: 'app', method: 'GET', path: '/fhir/Patient', status: 200, ms: 4, ...over });

test('a latency falls in the first bucket whose bound it does not exceed; the slowest in the overflow bucket', () => {
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(1), 0);
  assert.equal(bucketOf(1.01), 1);
  assert.equal(bucketOf(10), LATENCY_BOUNDS_MS.indexOf(10));
  assert.equal(bucketOf(60_000), LATENCY_BOUNDS_MS.length - 1);
  assert.equal(bucketOf(60_001), LATENCY_BOUNDS_MS.length);
  for (let b = 0; b < LATENCY_BUCKETS; b++) assert.equal(bucketOfBound(boundOfBucket(b)), b, `bucket ${b} round-trips through its stored bound`);
});

test('percentiles are read off the histogram, interpolated inside the bucket', () => {
  const h = emptyHistogram();
  assert.equal(percentile(h, 0.5), undefined, 'no requests, no percentile');
  // 100 requests: 90 at ≤ 10 ms (bucket 7–10), 9 at ≤ 100 ms (75–100), 1 slower than a minute.
  h[bucketOf(10)] = 90;
  h[bucketOf(100)] = 9;
  h[bucketOf(90_000)] = 1;
  const p50 = percentile(h, 0.5) ?? NaN;
  assert.ok(p50 > 7 && p50 <= 10, `p50 ${p50} within its bucket (7, 10]`);
  assert.equal(percentile(h, 0.9), 10, 'the 90th request is the last of the ≤ 10 ms bucket');
  const p95 = percentile(h, 0.95) ?? NaN;
  assert.ok(p95 > 75 && p95 <= 100, `p95 ${p95} within (75, 100]`);
  assert.equal(percentile(h, 0.99), 100);
  assert.equal(percentile(h, 1), 60_000, 'the overflow bucket reports its lower bound');
  const one = emptyHistogram();
  one[bucketOf(3)] = 1;
  assert.equal(percentile(one, 0.5), 3, 'a single request is its bucket’s upper bound');
});

test('the aggregator counts per client and UTC day, errors by status, and empties on take', () => {
  const agg = new StatisticsAggregator({ maxDays: 100, keepErrors: 5 });
  agg.record(req(), T0);
  agg.record(req({ status: 404, ms: 12, diagnostics: 'Unknown type Foo' }), T0 + 1000);
  agg.record(req({ status: 404 }), T0 + 2000);
  agg.record(req({ status: 503 }), T0 + 2000);
  agg.record(req({ clientId: 'other' }), T0);
  agg.record(req(), T0 + 60_000); // the next UTC day
  const batch = agg.take();
  assert.ok(batch);
  const app = batch.days.find((d) => d.clientId === 'app' && d.day === '2025-03-14');
  assert.deepEqual([app?.requests, app?.errors, Object.fromEntries(app?.statuses ?? [])], [4, 3, { 404: 2, 503: 1 }]);
  assert.equal(app?.latency.reduce((a, b) => a + b, 0), 4);
  assert.equal(app?.latency[bucketOf(12)], 1);
  assert.equal(batch.days.find((d) => d.clientId === 'app' && d.day === '2025-03-15')?.requests, 1);
  assert.equal(batch.days.find((d) => d.clientId === 'other')?.requests, 1);
  assert.deepEqual(
    batch.errors.map((e) => [e.status, e.diagnostics]),
    [
      [404, 'Unknown type Foo'],
      [404, undefined],
      [503, undefined],
    ],
  );
  assert.equal(agg.take(), undefined, 'empty after take');
});

test('latest errors are bounded per client, and client-days by the limit (the rest dropped and counted)', () => {
  const agg = new StatisticsAggregator({ maxDays: 2, keepErrors: 3 });
  for (let i = 0; i < 10; i++) agg.record(req({ status: 400 + i, path: `/fhir/x${i}` }), T0);
  agg.record(req({ clientId: 'b' }), T0);
  agg.record(req({ clientId: 'c', status: 500 }), T0);
  agg.record(req({ clientId: 'c' }), T0);
  assert.equal(agg.size, 2);
  assert.equal(agg.dropped, 2);
  const batch = agg.take();
  assert.deepEqual(
    batch?.errors.map((e) => e.path),
    ['/fhir/x7', '/fhir/x8', '/fhir/x9'],
    'only the newest three',
  );
  assert.equal(batch?.days.find((d) => d.clientId === 'app')?.errors, 10, 'every error is counted even when not kept');
  assert.equal(agg.dropped, 0, 'the drop count restarts with each take');
});

test('a long path and diagnostics are cut', () => {
  const agg = new StatisticsAggregator({ maxDays: 10, keepErrors: 3 });
  agg.record(req({ status: 400, path: `/fhir/${'a'.repeat(1000)}`, diagnostics: 'd'.repeat(2000) }), T0);
  const [e] = agg.take()?.errors ?? [];
  assert.equal(e?.path.length, 300);
  assert.equal(e?.diagnostics?.length, 500);
});

test('a failed batch is put back and merged with what was counted meanwhile', () => {
  const agg = new StatisticsAggregator({ maxDays: 10, keepErrors: 3 });
  agg.record(req({ status: 404, path: '/fhir/old1' }), T0);
  agg.record(req({ status: 404, path: '/fhir/old2' }), T0);
  const failed = agg.take();
  assert.ok(failed);
  agg.record(req({ status: 500, path: '/fhir/new1' }), T0 + 1);
  agg.record(req({ status: 500, path: '/fhir/new2' }), T0 + 2);
  agg.record(req({ ms: 2000 }), T0 + 3);
  agg.restore(failed);
  const merged = agg.take();
  const day = merged?.days.find((d) => d.clientId === 'app');
  assert.deepEqual([day?.requests, day?.errors, Object.fromEntries(day?.statuses ?? [])], [5, 4, { 404: 2, 500: 2 }]);
  assert.equal(day?.latency.reduce((a, b) => a + b, 0), 5);
  assert.deepEqual(
    merged?.errors.map((e) => e.path),
    ['/fhir/old2', '/fhir/new1', '/fhir/new2'],
    'the newest three, oldest first',
  );
});

test('the recorder flushes on its timer and on close, keeps counts a failing sink refused, and never throws', async () => {
  const stored: StatisticsBatch[] = [];
  let fail = true;
  let now = T0;
  const stats = startRequestStatistics({
    sink: {
      async add(batch) {
        if (fail) throw new Error('database down');
        stored.push(batch);
      },
    },
    logger: silent,
    flushMs: 20,
    limits: { maxDays: 100, keepErrors: 5 },
    now: () => now,
  });
  stats.record(req());
  stats.record(req({ status: 500 }));
  assert.equal(await stats.flush(), false, 'the flush failed');
  assert.ok(stats.failedFlushes() >= 1, 'the failure is counted (a metric)');
  now += DAY;
  stats.record(req());
  fail = false;
  // The timer retries.
  for (let i = 0; i < 50 && stored.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const requests = stored.flatMap((b) => b.days).reduce((n, d) => n + d.requests, 0);
  assert.equal(requests, 3, 'every request, once');
  const failures = stats.failedFlushes();
  stats.record(req({ clientId: 'late' }));
  await stats.close();
  assert.equal(stats.failedFlushes(), failures, 'a flush that succeeds counts no failure');
  assert.ok(
    stored.some((b) => b.days.some((d) => d.clientId === 'late')),
    'close writes the last counts',
  );
});

test('flushes run one after another: a flush resolves after the ones before it', async () => {
  const order: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const stats = startRequestStatistics({
    sink: {
      async add(batch) {
        order.push(`start ${batch.days[0]?.clientId}`);
        if (batch.days[0]?.clientId === 'a') await gate;
        order.push(`end ${batch.days[0]?.clientId}`);
      },
    },
    logger: silent,
    flushMs: 60_000,
    limits: { maxDays: 100, keepErrors: 5 },
  });
  stats.record(req({ clientId: 'a' }));
  const first = stats.flush();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['start a'], 'the first flush has taken its batch and waits');
  stats.record(req({ clientId: 'b' }));
  const second = stats.flush();
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b']);
  await stats.close();
});

test('only principals with a client count, and paths lose their query values', () => {
  assert.equal(statisticsClient({ kind: 'token', clientId: 'c1', accountId: 'a', grantId: 'g', scopes: [], patient: undefined, fhirUser: undefined }), 'c1');
  assert.equal(statisticsClient({ kind: 'key', clientId: 'c2', keyId: 'k', scopes: [] }), 'c2');
  assert.equal(statisticsClient({ kind: 'hie', clientId: 'c3', accountId: 'a' }), 'c3');
  assert.equal(statisticsClient({ kind: 'anonymous' }), undefined);
  assert.equal(statisticsClient({ kind: 'account', accountId: 'a' }), undefined);
  assert.equal(statisticsPath('/fhir/Patient'), '/fhir/Patient');
  assert.equal(statisticsPath('/fhir/Patient?name=Smith&birthdate=1970-01-01&name=x'), '/fhir/Patient?name=…&birthdate=…');
  assert.equal(statisticsPath('/fhir/Patient?'), '/fhir/Patient');
});
