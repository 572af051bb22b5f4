import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { systemScope, type AccessScope } from '../access/scope.js';
import { parseConfig } from '../config/load.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { openDatabase, type Database } from './database.js';
import { createResourceStore } from './resource-store.js';
import type { ResourceStore } from './types.js';

let testDb: TestDatabase;
let db: Database;
let store: ResourceStore;
const scope = systemScope('storage test');
const noAccess: AccessScope = { ...scope, read: { kind: 'none' }, write: { kind: 'none' } };

before(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: testDb.url }), pino({ level: 'silent' }));
  store = createResourceStore(db);
});
after(async () => {
  await db.close();
  await testDb.drop();
});

test('create stores the exact JSON a read returns, with server-set id and meta first', async () => {
  const v = await store.create(scope, { resourceType: 'Patient', id: 'client', meta: { versionId: '9', tag: [{ code: 'x' }] }, gender: 'male' });
  assert.notEqual(v.id, 'client');
  const read = await store.read(scope, 'Patient', v.id);
  assert.equal(read?.json, v.json);
  const parsed = JSON.parse(v.json ?? '') as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed).slice(0, 3), ['resourceType', 'id', 'meta']);
  assert.deepEqual(parsed.meta, { tag: [{ code: 'x' }], versionId: '1', lastUpdated: v.lastUpdated.toISOString() });
});

test('concurrent updates never lose a version: compare-and-swap on version_id', async () => {
  const v = await store.create(scope, { resourceType: 'Patient' });
  const writers = 12;
  await Promise.all(Array.from({ length: writers }, (_, i) => store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id, birthDate: `20${10 + i}` })));
  const current = await store.read(scope, 'Patient', v.id);
  assert.equal(current?.versionId, writers + 1);
  const history = await store.history(scope, { type: 'Patient', id: v.id, count: 100 });
  assert.deepEqual(
    history.entries.map((e) => e.versionId),
    Array.from({ length: writers + 1 }, (_, i) => writers + 1 - i),
  );
});

test('If-Match races: exactly one of two writers expecting the same version wins', async () => {
  const v = await store.create(scope, { resourceType: 'Patient' });
  const results = await Promise.allSettled([1, 2].map(() => store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id }, { ifMatch: 1 })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const failed = results.find((r) => r.status === 'rejected');
  assert.equal((failed as PromiseRejectedResult).reason.code, 'precondition-failed');
});

test('concurrent update-as-create at one id makes one resource, then updates it', async () => {
  const results = await Promise.all([1, 2, 3].map(() => store.update(scope, 'Patient', 'same-id', { resourceType: 'Patient', id: 'same-id' })));
  assert.equal(results.filter((r) => r.created).length, 1);
  assert.deepEqual(results.map((r) => r.version.versionId).sort(), [1, 2, 3]);
});

test('a scope without access reads nothing and writes nothing', async () => {
  const v = await store.create(scope, { resourceType: 'Patient' });
  assert.equal(await store.read(noAccess, 'Patient', v.id), undefined);
  assert.equal(await store.vread(noAccess, 'Patient', v.id, 1), undefined);
  assert.equal((await store.history(noAccess, { count: 10 })).entries.length, 0);
  assert.deepEqual(await store.match(noAccess, { type: 'Patient', ids: [v.id] }, 2), []);
  await assert.rejects(store.create(noAccess, { resourceType: 'Patient' }), { code: 'forbidden' });
  await assert.rejects(store.update(noAccess, 'Patient', v.id, { resourceType: 'Patient', id: v.id }), { code: 'forbidden' });
  await assert.rejects(store.delete(noAccess, 'Patient', v.id), { code: 'forbidden' });
  assert.equal((await store.read(scope, 'Patient', v.id))?.versionId, 1, 'nothing changed');
});

test('identifier tokens follow updates and deletes', async () => {
  const v = await store.create(scope, { resourceType: 'Patient', identifier: [{ system: 'urn:a', value: 'tok-1' }, { value: 'nosys' }] });
  const bySystem = { type: 'Patient', tokens: [{ param: 'identifier', system: 'urn:a', code: 'tok-1' }] };
  assert.deepEqual(await store.match(scope, bySystem, 2), [v.id]);
  assert.deepEqual(await store.match(scope, { type: 'Patient', tokens: [{ param: 'identifier', system: '', code: 'nosys' }] }, 2), [v.id]);
  assert.deepEqual(await store.match(scope, { type: 'Patient', tokens: [{ param: 'identifier', system: 'urn:b', code: 'tok-1' }] }, 2), []);
  await store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id, identifier: [{ system: 'urn:a', value: 'tok-2' }] });
  assert.deepEqual(await store.match(scope, bySystem, 2), [], 'old identifier is gone');
  await store.delete(scope, 'Patient', v.id);
  assert.deepEqual(await store.match(scope, { type: 'Patient', tokens: [{ param: 'identifier', code: 'tok-2' }] }, 2), []);
});

test('history cursors are opaque but checked', async () => {
  await assert.rejects(store.history(scope, { count: 5, cursor: "1; drop table resources" }), { code: 'invalid-parameter' });
});
