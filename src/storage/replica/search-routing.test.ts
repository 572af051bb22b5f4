import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Sql } from 'postgres';
import type { ConsentRule, Reach } from '../../access/scope.js';
import { systemScope, type AccessScope } from '../../access/scope.js';
import type { ReplicaMonitor, ReplicaState } from './replica-monitor.js';
import { replicaRouting, writerOf } from './search-routing.js';
import { WriterPositions } from './writer-positions.js';

// Stand-ins for the two pools: the routing only hands them to the search, which names the one it got.
const primary = { name: 'primary' } as unknown as Sql;
const replica = { name: 'replica', end: async () => {} } as unknown as Sql;
const nameOf = (sql: Sql) => (sql as unknown as { name: string }).name;

function routing(state: ReplicaState, positions = new WriterPositions(10)) {
  const monitor: ReplicaMonitor = { state: () => state, close: async () => {} };
  return replicaRouting({ primary, replica, monitor, positions, logger: pino({ level: 'silent' }) });
}

const streaming: ReplicaState = { kind: 'streaming', replayed: 1000n, lagMs: 10 };

/** A service's key whose consents (`reach`) decide what it reads. */
function consented(reach: Reach): AccessScope {
  const read = { kind: 'consented', reach, blocks: [], smart: { kind: 'smart' } } as unknown as ConsentRule;
  return { principal: { kind: 'key', clientId: 'svc', keyId: 'k1', scopes: [] }, read, write: read, ownerAccount: null, sourceApp: 'svc' };
}

test('searches whose access rule is the row and the token go to a streaming replica', async () => {
  const r = routing(streaming);
  assert.equal(await r.run(systemScope('test'), async (sql) => nameOf(sql)), 'replica');
  assert.equal(await r.run(consented({ kind: 'everyone' }), async (sql) => nameOf(sql)), 'replica');
  assert.deepEqual(r.replica(), { state: 'streaming', lagMs: 10 });
});

test('searches whose access rule reads consents or other records stay on the primary', async () => {
  const r = routing(streaming);
  for (const reach of [
    { kind: 'subscribers', clientId: 'svc', filterVersion: 1 },
    { kind: 'account', accountId: 'a', clientId: 'svc', filterVersion: 1, patient: 'p' },
    { kind: 'holder', accountId: 'a', patient: undefined },
    { kind: 'broker', clientId: 'svc', organizationId: 'o' },
    { kind: 'study', clientId: 'svc', studyId: 's' },
    { kind: 'catchment', patients: [], areaPrefixes: ['12'], hideConfidential: true },
  ] satisfies Reach[]) {
    assert.equal(await r.run(consented(reach), async (sql) => nameOf(sql)), 'primary', reach.kind);
  }
});

test('a lagging or down replica answers nothing', async () => {
  assert.equal(await routing({ kind: 'lagging', replayed: 1000n, lagMs: 9000 }).run(systemScope('test'), async (sql) => nameOf(sql)), 'primary');
  const down = routing({ kind: 'down', reason: 'does not answer' });
  assert.equal(await down.run(systemScope('test'), async (sql) => nameOf(sql)), 'primary');
  assert.deepEqual(down.replica(), { state: 'down' });
});

test("a writer's searches stay on the primary until the replica has replayed its write", async () => {
  const positions = new WriterPositions(10);
  const r = routing(streaming, positions);
  const scope = consented({ kind: 'everyone' });
  r.committed(scope);
  assert.equal(await r.run(scope, async (sql) => nameOf(sql)), 'primary');
  assert.equal(await r.run(systemScope('test'), async (sql) => nameOf(sql)), 'replica', 'others than the writer');
  positions.sampled({ startedAt: performance.now() + 1, position: 1000n });
  assert.equal(await r.run(scope, async (sql) => nameOf(sql)), 'replica');
});

test('a search the replica fails runs again on the primary, unless the primary would refuse it too', async () => {
  const r = routing(streaming);
  const failing = (error: Error) => async (sql: Sql) => {
    if (nameOf(sql) === 'replica') throw error;
    return nameOf(sql);
  };
  assert.equal(await r.run(systemScope('test'), failing(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))), 'primary');
  assert.equal(await r.run(systemScope('test'), failing(Object.assign(new Error('conflict with recovery'), { code: '40001' }))), 'primary');
  const bad = Object.assign(new Error('invalid input syntax'), { code: '22P02' });
  await assert.rejects(r.run(systemScope('test'), failing(bad)), bad);
});

test('writers: a client whoever it acts for, an account on our own pages; nobody anonymous', () => {
  assert.equal(writerOf({ kind: 'token', clientId: 'c', accountId: 'a', grantId: 'g', scopes: [], patient: undefined, fhirUser: undefined }), 'client:c');
  assert.equal(writerOf({ kind: 'hie', clientId: 'c', accountId: 'a' }), 'client:c');
  assert.equal(writerOf({ kind: 'account', accountId: 'a' }), 'account:a');
  assert.equal(writerOf({ kind: 'anonymous' }), undefined);
});
