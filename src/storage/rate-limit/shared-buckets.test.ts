import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { createSharedBuckets, type SharedBuckets } from './shared-buckets.js';

let testDb: TestDatabase;
let buckets: SharedBuckets;
before(async () => {
  testDb = await createTestDatabase();
  buckets = createSharedBuckets(testDb.db.sql);
});
after(() => testDb.drop());

test('a new key starts full; leases take whole tokens until the bucket is empty', async () => {
  const limit = { capacity: 10, perSecond: 0.001 };
  assert.deepEqual(await buckets.lease('a', limit, 4), { granted: 4, tokensLeft: 6 });
  assert.equal((await buckets.lease('a', limit, 4)).granted, 4);
  const last = await buckets.lease('a', limit, 4);
  assert.equal(last.granted, 2, 'only what is left');
  const empty = await buckets.lease('a', limit, 4);
  assert.equal(empty.granted, 0);
  assert.ok(empty.tokensLeft < 1);
});

test('concurrent leases of one key (many connections) never hand out more than the bucket holds', async () => {
  const limit = { capacity: 100, perSecond: 0.001 };
  const grants = await Promise.all(Array.from({ length: 40 }, () => buckets.lease('busy', limit, 7)));
  assert.equal(grants.reduce((n, g) => n + g.granted, 0), 100);
});

test('the bucket refills by the database clock', async () => {
  const limit = { capacity: 5, perSecond: 50 };
  assert.equal((await buckets.lease('r', limit, 5)).granted, 5);
  await new Promise((r) => setTimeout(r, 100));
  const again = await buckets.lease('r', limit, 5);
  assert.ok(again.granted >= 4, `~5 tokens refilled in 100 ms at 50/s, got ${again.granted}`);
});

test('idle buckets are purged', async () => {
  await buckets.lease('idle', { capacity: 1, perSecond: 1 }, 1);
  await testDb.db.sql`update rate_limit_buckets set refilled_at = now() - interval '2 minutes' where key = 'idle'`;
  await buckets.purgeIdle(60);
  const rows = await testDb.db.sql`select key from rate_limit_buckets where key = 'idle'`;
  assert.equal(rows.length, 0);
});
