import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { bucketOf, emptyHistogram, percentile } from '../../audit/latency-histogram.js';
import { StatisticsAggregator } from '../../audit/request-statistics.js';
import { createStatisticsStore, type StatisticsStore } from './statistics-store.js';

let testDb: TestDatabase;
let store: StatisticsStore;
before(async () => {
  testDb = await createTestDatabase();
  store = createStatisticsStore(testDb.db.sql);
});
after(() => testDb.drop());

const T0 = Date.UTC(2025, 5, 1, 12);

function batchOf(records: { clientId?: string; status?: number; ms?: number; at?: number; path?: string }[]) {
  const agg = new StatisticsAggregator({ maxDays: 100, keepErrors: 50 });
  for (const r of records) agg.record({ clientId: r.clientId ?? 'app', method: 'GET', path: r.path ?? '/fhir/Patient', status: r.status ?? 200, ms: r.ms ?? 5, diagnostics: r.status === undefined ? undefined : `status ${r.status}` }, r.at ?? T0);
  const batch = agg.take();
  assert.ok(batch);
  return batch;
}

test('flushes add up: requests, errors by status and the latency histogram are sums', async () => {
  await store.add(batchOf([{}, { status: 404, ms: 40 }, { ms: 900 }]), 5);
  await store.add(batchOf([{}, { status: 404 }, { status: 500 }, { at: T0 + 86_400_000 }]), 5);
  const days = await store.days('app', '2025-06-01', '2025-06-02');
  assert.deepEqual(
    days.map((d) => [d.day, d.requests, d.errors, Object.fromEntries(d.statuses)]),
    [
      ['2025-06-01', 6, 3, { 404: 2, 500: 1 }],
      ['2025-06-02', 1, 0, {}],
    ],
  );
  const expected = emptyHistogram();
  expected[bucketOf(5)] = 4;
  expected[bucketOf(40)] = 1;
  expected[bucketOf(900)] = 1;
  assert.deepEqual(days[0]?.latency, expected);
  assert.equal(percentile(days[0]?.latency ?? [], 0.99), 1000);
  assert.deepEqual(await store.days('app', '2025-06-03', '2025-06-30'), [], 'outside the period');
  assert.deepEqual(await store.days('nobody', '2025-06-01', '2025-06-30'), []);
});

test('only the latest errors of each client are kept, newest first', async () => {
  const errors = Array.from({ length: 8 }, (_, i) => ({ clientId: 'noisy', status: 400, at: T0 + i * 1000, path: `/fhir/e${i}` }));
  await store.add(batchOf(errors.slice(0, 5)), 3);
  await store.add(batchOf([...errors.slice(5), { clientId: 'quiet', status: 401 }]), 3);
  assert.deepEqual(
    (await store.recentErrors('noisy', 10)).map((e) => e.path),
    ['/fhir/e7', '/fhir/e6', '/fhir/e5'],
  );
  const [quiet] = await store.recentErrors('quiet', 10);
  assert.deepEqual([quiet?.status, quiet?.diagnostics, quiet?.method], [401, 'status 401', 'GET']);
  const [{ n }] = (await testDb.db.sql`select count(*)::int as n from client_recent_errors where client_id = 'noisy'`) as unknown as [{ n: number }];
  assert.equal(n, 3, 'older rows are deleted, not just hidden');
});

test('a failed flush leaves nothing behind (one transaction)', async () => {
  const batch = batchOf([{ clientId: 'atomic' }, { clientId: 'atomic', status: 404 }]);
  // A status the table refuses makes the second statement fail after the first ran.
  const broken = { ...batch, days: batch.days.map((d) => ({ ...d, statuses: new Map([[99, 1]]) })) };
  await assert.rejects(store.add(broken, 5));
  assert.deepEqual(await store.days('atomic', '2025-06-01', '2025-06-01'), []);
});
