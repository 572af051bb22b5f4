import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryBuckets } from './memory-buckets.js';
import { perMinute } from './token-bucket.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

test('a bucket lets a minute’s allowance through at once, then refuses with the seconds until the next token', async () => {
  const c = clock();
  const store = memoryBuckets({ now: c.now });
  const limit = perMinute(6); // one token every 10 s
  for (let i = 0; i < 6; i++) assert.equal(store.take('k', limit), 0, `request ${i + 1} passes`);
  assert.equal(store.take('k', limit), 10, 'empty: the next token is 10 s away');
  c.advance(4_000);
  assert.equal(store.take('k', limit), 6, 'Retry-After counts down, rounded up');
  c.advance(5_500);
  assert.equal(store.take('k', limit), 1, 'half a second left is still 1 s (never 0)');
  c.advance(500);
  assert.equal(store.take('k', limit), 0, 'a token has refilled');
  assert.equal(store.take('k', limit), 10);
  await store.close();
});

test('refills continuously and never beyond the capacity', async () => {
  const c = clock();
  const store = memoryBuckets({ now: c.now });
  const limit = perMinute(60); // one a second
  for (let i = 0; i < 60; i++) store.take('k', limit);
  c.advance(10 * 60_000);
  let passed = 0;
  while (store.take('k', limit) === 0) passed++;
  assert.equal(passed, 60, 'ten idle minutes refill one minute’s allowance, not ten');
  await store.close();
});

test('keys are independent: one empty bucket does not refuse another key', async () => {
  const c = clock();
  const store = memoryBuckets({ now: c.now });
  const limit = perMinute(1);
  assert.equal(store.take('a', limit), 0);
  assert.ok(store.take('a', limit) > 0);
  assert.equal(store.take('b', limit), 0);
  await store.close();
});

test('past maxKeys the oldest bucket is dropped (it starts full again)', async () => {
  const c = clock();
  const store = memoryBuckets({ now: c.now, maxKeys: 2 });
  const limit = perMinute(1);
  store.take('a', limit);
  store.take('b', limit);
  store.take('c', limit); // drops a
  assert.equal(store.take('a', limit), 0, 'a starts full again');
  assert.ok(store.take('c', limit) > 0, 'c is still counted');
  await store.close();
});
