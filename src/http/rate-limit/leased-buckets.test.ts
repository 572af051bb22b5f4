import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { SharedBuckets, SharedLimit } from '../../storage/rate-limit/shared-buckets.js';
import { leasedBuckets, leaseSize } from './leased-buckets.js';
import { perMinute } from './token-bucket.js';

/** One shared bucket per key, as the database keeps it, counting the leases asked for. */
function fakeShared(now: () => number, fail = false) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const leases: number[] = [];
  const shared: SharedBuckets = {
    async lease(key: string, limit: SharedLimit, want: number) {
      if (fail) throw new Error('database down');
      const b = buckets.get(key) ?? { tokens: limit.capacity, at: now() };
      b.tokens = Math.min(limit.capacity, b.tokens + ((now() - b.at) / 1000) * limit.perSecond);
      b.at = now();
      const granted = Math.min(want, Math.floor(b.tokens));
      b.tokens -= granted;
      buckets.set(key, b);
      leases.push(granted);
      return { granted, tokensLeft: b.tokens };
    },
    async purgeIdle() {},
  };
  return { shared, leases };
}

const silent = pino({ level: 'silent' });

test('a lease is a quarter second of the rate, at least one token, at most the bucket', () => {
  assert.equal(leaseSize(perMinute(60_000)), 250);
  assert.equal(leaseSize(perMinute(60)), 1);
  assert.equal(leaseSize({ capacity: 3, perMs: 100 }), 3);
});

test('requests spend a lease without asking the database; the next lease is fetched at half', async () => {
  const t = 0;
  const { shared, leases } = fakeShared(() => t);
  const store = leasedBuckets({ shared, logger: silent, now: () => t });
  const limit = perMinute(60_000); // leases of 250
  assert.equal(await store.take('k', limit), 0, 'the first request waits for the first lease');
  assert.deepEqual(leases, [250]);
  let sync = 0;
  for (let i = 0; i < 124; i++) if (store.take('k', limit) === 0) sync++;
  assert.equal(sync, 124, 'answered at once, from the lease');
  assert.deepEqual(leases, [250], 'no round trip yet');
  assert.equal(store.take('k', limit), 0, 'the 126th request leaves fewer than half: a prefetch starts');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(leases, [250, 250]);
  await store.close();
});

test('the nodes together never pass more than the shared bucket holds; a refused key is not asked again until a token is due', async () => {
  let t = 0;
  const { shared, leases } = fakeShared(() => t);
  const nodes = [leasedBuckets({ shared, logger: silent, now: () => t }), leasedBuckets({ shared, logger: silent, now: () => t })];
  const limit = perMinute(60); // one a second, leases of one
  let passed = 0;
  for (let i = 0; i < 100; i++) if ((await nodes[i % 2]?.take('k', limit)) === 0) passed++;
  assert.equal(passed, 60, 'two nodes share one minute’s allowance');
  const asked = leases.length;
  assert.equal(await nodes[0]?.take('k', limit), 1, 'refused with Retry-After');
  assert.equal(await nodes[0]?.take('k', limit), 1);
  assert.equal(leases.length, asked, 'refusals are answered locally until a token is due');
  t += 1_000;
  assert.equal(await nodes[0]?.take('k', limit), 0, 'a second later one token has refilled');
  for (const n of nodes) await n?.close();
});

test('when the database cannot be asked, a lease’s worth is admitted (and logged), not refused', async () => {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const { shared } = fakeShared(() => 0, true);
  const store = leasedBuckets({ shared, logger });
  assert.equal(await store.take('k', perMinute(60)), 0);
  assert.match(warnings.join(''), /could not lease rate-limit tokens/);
  await store.close();
});
