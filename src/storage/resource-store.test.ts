import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemScope, type AccessScope } from '../access/scope.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { createResourceStore } from './resource-store.js';
import { searchQuery } from '../../test/support/search-query.js';
import type { FhirResource, HistoryEntry, ResourceStore } from './types.js';

let testDb: TestDatabase;
let store: ResourceStore;
const scope = systemScope('storage test');
const noAccess: AccessScope = { ...scope, read: { kind: 'none' }, write: { kind: 'none' } };
const appScope: AccessScope = { ...scope, ownerAccount: 'account-7', sourceApp: 'app-3' };

before(async () => {
  testDb = await createTestDatabase();
  store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
});
after(() => testDb.drop());

const q = (query: string, count = 2) => searchQuery('Patient', query, count);
const versionsOf = (entries: readonly HistoryEntry[]): string[] => entries.map((e) => `${e.type}/${e.id}/${e.versionId}/${e.method}`);

describe('create and read', () => {
  test('create stores the exact JSON a read returns, with server-set id and meta first', async () => {
    const v = await store.create(scope, { resourceType: 'Patient', id: 'client', meta: { versionId: '9', lastUpdated: '2001-01-01T00:00:00Z', tag: [{ code: 'x' }] }, gender: 'male' });
    assert.notEqual(v.id, 'client');
    const read = await store.read(scope, 'Patient', v.id);
    assert.equal(read?.json, v.json);
    const parsed = JSON.parse(v.json ?? '') as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed).slice(0, 3), ['resourceType', 'id', 'meta']);
    assert.deepEqual(parsed.meta, { versionId: '1', lastUpdated: v.lastUpdated.toISOString(), tag: [{ code: 'x' }] });
    assert.match(v.lastUpdated.toISOString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('the stored text is returned byte for byte, whatever it contains', async () => {
    const odd = { resourceType: 'Basic', code: { text: 'ünïcödé \u2028 "quoted" \\ 💊' }, extension: [{ url: 'urn:x', valueDecimal: 1.5e-7 }] };
    const v = await store.create(scope, odd);
    const read = await store.read(scope, 'Basic', v.id);
    assert.equal(read?.json, v.json);
    assert.deepEqual((JSON.parse(read?.json ?? '') as FhirResource).code, odd.code);
  });

  test('create records the access metadata: owner, app, patient, codes, security labels', async () => {
    const v = await store.create(appScope, {
      resourceType: 'Observation',
      subject: { reference: 'Patient/p-1' },
      code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }, { code: 'local' }] },
      meta: { security: [{ system: 'urn:sec', code: 'R' }] },
    });
    const [row] = await testDb.db.sql`
      select owner_account, source_app, patient_id, codes, security, created_at
      from resources where type = 'Observation' and id = ${v.id}`;
    assert.deepEqual({ ...row }, {
      owner_account: 'account-7',
      source_app: 'app-3',
      patient_id: 'p-1',
      codes: ['http://loinc.org|1234-5', '|local'],
      security: ['urn:sec|R'],
      created_at: v.lastUpdated,
    });
  });

  test('a Patient is its own compartment owner', async () => {
    const v = await store.create(scope, { resourceType: 'Patient' });
    const [row] = await testDb.db.sql`select patient_id from resources where type = 'Patient' and id = ${v.id}`;
    assert.equal(row?.patient_id, v.id);
  });

  test('reading or vreading what was never written gives undefined', async () => {
    assert.equal(await store.read(scope, 'Patient', 'never'), undefined);
    const v = await store.create(scope, { resourceType: 'Patient' });
    assert.equal(await store.vread(scope, 'Patient', v.id, 2), undefined);
    assert.equal(await store.read(scope, 'Observation', v.id), undefined, 'ids are per type');
  });

  test('createMany writes all at the given ids, in order, with their index rows', async () => {
    const made = await store.createMany(scope, [
      { id: 'many-1', resource: { resourceType: 'Patient', identifier: [{ system: 'urn:many', value: '1' }] } },
      { id: 'many-2', resource: { resourceType: 'Observation', status: 'final', note: [{ text: 'Zoë said "ok" \\ 😀 \u2028 \u0007 end' }] } },
    ]);
    assert.deepEqual(made.map((v) => `${v.type}/${v.id}/${v.versionId}`), ['Patient/many-1/1', 'Observation/many-2/1']);
    assert.equal((await store.read(scope, 'Observation', 'many-2'))?.json, made[1]?.json, 'byte for byte, escapes and all');
    assert.deepEqual(await store.match(scope, q('identifier=urn:many|1')), ['many-1']);
  });

  test('dates at the edges of FHIR\'s calendar are stored and found, whatever their zone offset', async () => {
    // Valid FHIR dateTimes whose UTC instant falls in year 0 or 10000, which PostgreSQL cannot read.
    const early = await store.create(scope, { resourceType: 'Observation', status: 'final', code: { text: 'edge' }, effectiveDateTime: '0001-01-01T00:00:00+14:00' });
    const late = await store.create(scope, { resourceType: 'Observation', status: 'final', code: { text: 'edge' }, effectiveDateTime: '9999-12-31T23:59:59-14:00' });
    const found = async (query: string): Promise<string[]> => (await store.search(scope, searchQuery('Observation', query, 10))).matches.map((m) => m.id);
    assert.deepEqual(await found('date=lt0002'), [early.id]);
    assert.deepEqual(await found('date=gt9998'), [late.id]);
  });
});

describe('update', () => {
  test('update keeps the client’s other meta, sets versionId/lastUpdated, and returns what a read returns', async () => {
    const v = await store.create(scope, { resourceType: 'Patient' });
    const meta = { versionId: '77', lastUpdated: '1999-01-01T00:00:00Z', source: 'urn:src', profile: ['urn:p'], security: [{ code: 'N' }], tag: [{ code: 't' }] };
    const u = await store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id, meta, active: true });
    assert.equal(u.created, false);
    assert.equal(u.version.versionId, 2);
    assert.ok(u.version.lastUpdated >= v.lastUpdated);
    assert.equal((await store.read(scope, 'Patient', v.id))?.json, u.version.json);
    assert.equal((await store.vread(scope, 'Patient', v.id, 2))?.json, u.version.json);
    assert.equal((await store.vread(scope, 'Patient', v.id, 1))?.json, v.json);
    const parsed = JSON.parse(u.version.json ?? '') as FhirResource;
    assert.deepEqual(parsed.meta, { ...meta, versionId: '2', lastUpdated: u.version.lastUpdated.toISOString() });
  });

  test('update at an unknown id creates the resource there (update-as-create)', async () => {
    const u = await store.update(scope, 'Patient', 'chosen-id', { resourceType: 'Patient', id: 'chosen-id' });
    assert.equal(u.created, true);
    assert.equal(u.version.versionId, 1);
    assert.equal((await store.read(scope, 'Patient', 'chosen-id'))?.json, u.version.json);
    const history = await store.history(scope, { type: 'Patient', id: 'chosen-id', count: 10 });
    assert.deepEqual(versionsOf(history.entries), ['Patient/chosen-id/1/PUT']);
  });

  test('If-Match: the expected version updates, any other is precondition-failed and changes nothing', async () => {
    const v = await store.create(scope, { resourceType: 'Patient' });
    await assert.rejects(store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id }, { ifMatch: 2 }), { code: 'precondition-failed' });
    await assert.rejects(store.update(scope, 'Patient', 'absent-if-match', { resourceType: 'Patient' }, { ifMatch: 1 }), { code: 'precondition-failed' });
    assert.equal(await store.read(scope, 'Patient', 'absent-if-match'), undefined);
    assert.equal((await store.read(scope, 'Patient', v.id))?.versionId, 1);
    const u = await store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id }, { ifMatch: 1, method: 'PATCH' });
    assert.equal(u.version.versionId, 2);
    assert.deepEqual(versionsOf((await store.history(scope, { type: 'Patient', id: v.id, count: 1 })).entries), [`Patient/${v.id}/2/PATCH`]);
  });

  test('concurrent updates never lose a version, and versions stay in lastUpdated order', async () => {
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
    const times = history.entries.map((e) => e.lastUpdated.getTime());
    assert.ok(times.every((t, i) => i === 0 || t < (times[i - 1] as number)), 'each version is strictly later than the one before');
    for (const e of history.entries) assert.equal((JSON.parse(e.json ?? '') as FhirResource).meta?.lastUpdated, e.lastUpdated.toISOString());
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
});

describe('delete', () => {
  test('delete writes a delete version; reads then see it deleted; a second delete finds nothing', async () => {
    const v = await store.create(scope, { resourceType: 'Patient', identifier: [{ system: 'urn:del', value: 'd1' }] });
    const d = await store.delete(scope, 'Patient', v.id);
    assert.deepEqual({ ...d, lastUpdated: undefined }, { type: 'Patient', id: v.id, versionId: 2, deleted: true, json: null, lastUpdated: undefined, patientId: v.id });
    const read = await store.read(scope, 'Patient', v.id);
    assert.equal(read?.deleted, true);
    assert.equal(read?.json, null);
    assert.equal((await store.vread(scope, 'Patient', v.id, 2))?.deleted, true);
    assert.equal((await store.vread(scope, 'Patient', v.id, 1))?.json, v.json, 'older versions stay readable');
    assert.deepEqual(await store.match(scope, q(`_id=${v.id}`)), [], 'deleted resources match nothing');
    assert.deepEqual(await store.match(scope, q('identifier=d1')), []);
    assert.equal(await store.delete(scope, 'Patient', v.id), undefined);
    assert.equal(await store.delete(scope, 'Patient', 'never-was'), undefined);
    assert.equal((await store.read(scope, 'Patient', v.id))?.versionId, 2, 'deleting a deleted resource writes no version');
  });

  test('delete with If-Match deletes only the expected version', async () => {
    const v = await store.create(scope, { resourceType: 'Patient' });
    await assert.rejects(store.delete(scope, 'Patient', v.id, { ifMatch: 3 }), { code: 'precondition-failed' });
    assert.equal((await store.read(scope, 'Patient', v.id))?.deleted, false);
    assert.equal((await store.delete(scope, 'Patient', v.id, { ifMatch: 1 }))?.versionId, 2);
  });

  test('of two concurrent deletes one writes the delete version, the other finds nothing left', async () => {
    const v = await store.create(scope, { resourceType: 'Patient' });
    const results = await Promise.all([1, 2].map(() => store.delete(scope, 'Patient', v.id)));
    assert.deepEqual(results.map((r) => r?.versionId).sort(), [2, undefined]);
    assert.equal((await store.history(scope, { type: 'Patient', id: v.id, count: 5 })).total, 2);
  });

  test('updating a deleted resource brings it back with the next version number', async () => {
    const v = await store.create(scope, { resourceType: 'Patient' });
    await store.delete(scope, 'Patient', v.id);
    const u = await store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id, active: true });
    assert.equal(u.created, true);
    assert.equal(u.version.versionId, 3);
    assert.equal((await store.read(scope, 'Patient', v.id))?.deleted, false);
  });
});

describe('history', () => {
  // Types no other test writes, and a start time, so the expectations are exact.
  let start: Date;
  let a: string;
  let b: string;
  let c: string;
  before(async () => {
    start = new Date(Date.now() - 1);
    a = (await store.create(scope, { resourceType: 'Device' })).id;
    b = (await store.create(scope, { resourceType: 'Device' })).id;
    await store.update(scope, 'Device', a, { resourceType: 'Device', id: a, status: 'active' });
    await store.delete(scope, 'Device', b);
    c = (await store.create(scope, { resourceType: 'Substance' })).id;
  });

  test('instance, type and system history list every version newest first, deletes included', async () => {
    const instance = await store.history(scope, { type: 'Device', id: a, count: 10 });
    assert.deepEqual(versionsOf(instance.entries), [`Device/${a}/2/PUT`, `Device/${a}/1/POST`]);
    assert.equal(instance.total, 2);
    const type = await store.history(scope, { type: 'Device', count: 10 });
    assert.deepEqual(versionsOf(type.entries), [`Device/${b}/2/DELETE`, `Device/${a}/2/PUT`, `Device/${b}/1/POST`, `Device/${a}/1/POST`]);
    assert.equal(type.total, 4);
    assert.equal(type.entries[0]?.json, null);
    assert.equal(type.entries[0]?.deleted, true);
    const system = await store.history(scope, { since: start, count: 10 });
    assert.deepEqual(versionsOf(system.entries).slice(0, 5), [
      `Substance/${c}/1/POST`,
      `Device/${b}/2/DELETE`,
      `Device/${a}/2/PUT`,
      `Device/${b}/1/POST`,
      `Device/${a}/1/POST`,
    ]);
  });

  test('_since keeps only versions strictly after the instant; `before` only those at or before it', async () => {
    const all = await store.history(scope, { type: 'Device', count: 10 });
    const [newest, second] = all.entries;
    assert.ok(newest !== undefined && second !== undefined);
    const since = await store.history(scope, { type: 'Device', since: second.lastUpdated, count: 10 });
    assert.deepEqual(versionsOf(since.entries), versionsOf([newest]));
    const upTo = await store.history(scope, { type: 'Device', before: second.lastUpdated, count: 10 });
    assert.deepEqual(versionsOf(upTo.entries), versionsOf(all.entries.slice(1)));
  });

  test('paging walks the whole history once, even while new versions arrive', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.history(scope, { type: 'Device', count: 3, ...(cursor === undefined ? {} : { cursor }) });
      if (pages === 0) {
        assert.equal(page.total, undefined, 'a type history is counted only when it fits on the first page');
        await store.create(scope, { resourceType: 'Device' }); // newer than the cursor: not on later pages
      }
      seen.push(...versionsOf(page.entries));
      cursor = page.next;
      pages++;
    } while (cursor !== undefined);
    assert.equal(pages, 2);
    assert.deepEqual(seen, [`Device/${b}/2/DELETE`, `Device/${a}/2/PUT`, `Device/${b}/1/POST`, `Device/${a}/1/POST`]);
    const instance = await store.history(scope, { type: 'Device', id: a, count: 1 });
    assert.equal(instance.total, 2, 'one resource’s history is always counted');
    assert.ok(instance.next !== undefined);
  });

  test('history cursors are opaque but checked', async () => {
    await assert.rejects(store.history(scope, { count: 5, cursor: '1; drop table resources' }), { code: 'invalid-parameter' });
    await assert.rejects(store.history(scope, { count: 5, cursor: '12' }), { code: 'invalid-parameter' });
  });
});

describe('match and conditional create', () => {
  test('match finds current resources by id and by identifier, with or without system, up to the limit', async () => {
    const v = await store.create(scope, { resourceType: 'Patient', identifier: [{ system: 'urn:a', value: 'tok-1' }, { value: 'nosys' }] });
    const bySystem = q('identifier=urn:a|tok-1');
    assert.deepEqual(await store.match(scope, bySystem), [v.id]);
    assert.deepEqual(await store.match(scope, q('identifier=tok-1')), [v.id]);
    assert.deepEqual(await store.match(scope, q('identifier=|nosys')), [v.id]);
    assert.deepEqual(await store.match(scope, q('identifier=urn:b|tok-1')), []);
    assert.deepEqual(await store.match(scope, q(`_id=${v.id}&identifier=urn:a|tok-1`)), [v.id]);
    assert.deepEqual(await store.match(scope, q('_id=other&identifier=urn:a|tok-1')), []);
    await store.update(scope, 'Patient', v.id, { resourceType: 'Patient', id: v.id, identifier: [{ system: 'urn:a', value: 'tok-2' }] });
    assert.deepEqual(await store.match(scope, bySystem), [], 'old identifier is gone');
    const twins = await Promise.all([1, 2, 3].map(() => store.create(scope, { resourceType: 'Patient', identifier: [{ value: 'twin' }] })));
    assert.equal((await store.match(scope, q('identifier=twin'))).length, 2);
    assert.equal(twins.length, 3);
  });

  test('createIfNoneExist creates when nothing matches, else returns the match; two matches are an error', async () => {
    const criteria = q('identifier=urn:cine|one');
    const resource = { resourceType: 'Patient', identifier: [{ system: 'urn:cine', value: 'one' }] };
    const first = await store.createIfNoneExist(scope, resource, criteria);
    assert.equal(first.created, true);
    const second = await store.createIfNoneExist(scope, resource, criteria);
    assert.equal(second.created, false);
    assert.equal(second.created === false && second.existing.json, first.created && first.version.json);
    await store.create(scope, resource);
    await assert.rejects(store.createIfNoneExist(scope, resource, criteria), { code: 'multiple-matches' });
  });

  test('concurrent conditional creates with the same criteria, in any order, create exactly one', async () => {
    const identifier = [{ system: 'urn:race', value: 'r1' }, { system: 'urn:race', value: 'r2' }];
    const orders = ['identifier=urn:race|r1&identifier=urn:race|r2', 'identifier=urn:race|r2&identifier=urn:race|r1'];
    const results = await Promise.all([0, 1, 2, 3].map((i) => store.createIfNoneExist(scope, { resourceType: 'Patient', identifier }, q(orders[i % 2] as string))));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal((await store.match(scope, q(orders[0] as string, 5))).length, 1);
  });

  test('result parameters do not make criteria different: concurrent creates with and without _count create one', async () => {
    const identifier = [{ system: 'urn:race', value: 'r3' }];
    const variants = ['identifier=urn:race|r3', 'identifier=urn:race|r3&_count=5', 'identifier=urn:race|r3&_sort=-_lastUpdated'];
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => store.createIfNoneExist(scope, { resourceType: 'Patient', identifier }, q(variants[i % 3] as string))));
    assert.equal(results.filter((r) => r.created).length, 1);
  });
});

describe('access scope and transactions', () => {
  test('a scope without access reads nothing and writes nothing', async () => {
    const v = await store.create(scope, { resourceType: 'Patient' });
    assert.equal(await store.read(noAccess, 'Patient', v.id), undefined);
    assert.equal(await store.vread(noAccess, 'Patient', v.id, 1), undefined);
    assert.equal((await store.history(noAccess, { count: 10 })).entries.length, 0);
    assert.equal((await store.history(noAccess, { type: 'Patient', id: v.id, count: 10 })).entries.length, 0);
    assert.deepEqual(await store.match(noAccess, q(`_id=${v.id}`)), []);
    await assert.rejects(store.create(noAccess, { resourceType: 'Patient' }), { code: 'forbidden' });
    await assert.rejects(store.createMany(noAccess, [{ id: 'x', resource: { resourceType: 'Patient' } }]), { code: 'forbidden' });
    await assert.rejects(store.createIfNoneExist(noAccess, { resourceType: 'Patient' }, q('_id=x')), { code: 'forbidden' });
    await assert.rejects(store.update(noAccess, 'Patient', v.id, { resourceType: 'Patient', id: v.id }), { code: 'forbidden' });
    await assert.rejects(store.delete(noAccess, 'Patient', v.id), { code: 'forbidden' });
    assert.equal((await store.read(scope, 'Patient', v.id))?.versionId, 1, 'nothing changed');
  });

  test('a transaction commits all its writes or none', async () => {
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.create(scope, { resourceType: 'Patient' }, { id: 'tx-rolled-back' });
        await tx.transaction((nested) => nested.update(scope, 'Patient', 'tx-nested', { resourceType: 'Patient', id: 'tx-nested' }));
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.equal(await store.read(scope, 'Patient', 'tx-rolled-back'), undefined);
    assert.equal(await store.read(scope, 'Patient', 'tx-nested'), undefined);
    await store.transaction((tx) => tx.create(scope, { resourceType: 'Patient' }, { id: 'tx-committed' }));
    assert.equal((await store.read(scope, 'Patient', 'tx-committed'))?.versionId, 1);
  });
});
