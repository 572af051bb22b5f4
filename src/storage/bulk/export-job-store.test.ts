import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { Principal } from '../../access/principal.js';
import type { ExportRequest } from '../../bulk/export-request.js';
import { createExportJobStore, type ExportJob, type ExportJobStore, type ExportProgress, type NewExportJob } from './export-job-store.js';

/**
 * The export job table as several nodes share it: claims (FOR UPDATE SKIP LOCKED) and leases,
 * fencing of a node that lost its lease, the per-client limit, polling, cancel and expiry.
 * A second pool on the same database plays the second node, so its claims really race.
 */
let testDb: TestDatabase;
let store: ExportJobStore;
let otherNode: postgres.Sql;
let otherStore: ExportJobStore;

before(async () => {
  testDb = await createTestDatabase();
  store = createExportJobStore(testDb.db.sql);
  otherNode = postgres(testDb.url, { max: 10, onnotice: () => {} });
  otherStore = createExportJobStore(otherNode);
});
after(async () => {
  await otherNode.end();
  await testDb.drop();
});
// Every test starts from an empty table: a claim takes the oldest job of all, not of the test.
beforeEach(() => testDb.db.sql`delete from export_jobs`);

const REQUEST: ExportRequest = { level: { kind: 'system' }, types: [], since: undefined, typeFilters: {}, patients: undefined, includeProvenance: false, warnings: [] };

function newJob(clientId: string | undefined): NewExportJob {
  const principal: Principal =
    clientId === undefined ? { kind: 'dev-anonymous' } : { kind: 'key', clientId, keyId: `key-of-${clientId}`, scopes: ['system/*.rs'] };
  return { clientId, principal, request: REQUEST, requestUrl: 'http://localhost/fhir/$export', types: ['Patient', 'Observation'] };
}

async function create(clientId: string | undefined, maxActive = 100): Promise<ExportJob> {
  const job = await store.create(newJob(clientId), maxActive);
  assert.ok(job !== undefined, `a job of ${clientId ?? 'no client'} is queued`);
  return job;
}

/** A lease that ran out, as the clock would have it after the node holding it died. */
async function lapse(id: string): Promise<void> {
  await testDb.db.sql`update export_jobs set lease_until = now() - interval '1 second' where id = ${id}`;
}

async function row(id: string): Promise<{ status: string; lease_owner: string | null; attempts: number; expires_at: Date | null }> {
  const [found] = await testDb.db.sql<{ status: string; lease_owner: string | null; attempts: number; expires_at: Date | null }[]>`
    select status, lease_owner, attempts, expires_at from export_jobs where id = ${id}`;
  assert.ok(found !== undefined, `job ${id} is in the table`);
  return found;
}

const progressOf = (job: ExportJob, total: number): ExportProgress => ({
  ...job.progress,
  typeIndex: 1,
  afterId: `obs-${total}`,
  files: [{ type: 'Patient', name: 'Patient-1.ndjson', count: total, bytes: total * 10 }],
  total,
});

test('a new job is queued with an empty checkpoint; claim takes the oldest queued job first, then none', async () => {
  const first = await create('c1');
  const second = await create('c2');
  const third = await create('c1');
  assert.equal(first.status, 'queued');
  assert.deepEqual(first.progress, { types: ['Patient', 'Observation'], typeIndex: 0, files: [], total: 0 }, 'afterId undefined is left out of the JSON');
  assert.equal(first.attempts, 0);
  assert.ok(first.transactionTime <= second.transactionTime && second.transactionTime <= third.transactionTime);

  const claimed = [await store.claim('node-a', 30), await store.claim('node-a', 30), await store.claim('node-b', 30)];
  assert.deepEqual(claimed.map((j) => j?.id), [first.id, second.id, third.id], 'in the order they were made, whoever claims');
  assert.deepEqual(claimed.map((j) => [j?.status, j?.attempts]), [['running', 1], ['running', 1], ['running', 1]]);
  assert.equal((await row(third.id)).lease_owner, 'node-b');
  assert.equal(await store.claim('node-b', 30), undefined, 'running jobs with a live lease are nobody else’s');
});

test('two nodes claiming 20 jobs at once, 15 claims each: every job is claimed exactly once', async () => {
  const made = new Set<string>();
  for (let i = 0; i < 20; i++) made.add((await create(`client-${i % 4}`)).id);
  const claims = (node: string, jobs: ExportJobStore) => Array.from({ length: 15 }, () => jobs.claim(node, 30).then((job) => ({ node, job })));
  const results = await Promise.all([...claims('node-a', store), ...claims('node-b', otherStore)]);

  const taken = results.flatMap(({ node, job }) => (job === undefined ? [] : [{ node, id: job.id }]));
  assert.equal(taken.length, 20, 'ten claims find nothing left, not a job someone else holds');
  assert.deepEqual(new Set(taken.map((t) => t.id)), made);
  const rows = await testDb.db.sql<{ id: string; lease_owner: string; attempts: number }[]>`select id, lease_owner, attempts from export_jobs`;
  for (const r of rows) {
    assert.equal(r.attempts, 1, `job ${r.id} was claimed once`);
    assert.equal(r.lease_owner, taken.find((t) => t.id === r.id)?.node, 'the lease is held by the node the claim answered');
  }
});

test('a running job whose lease lapsed is claimable again, attempts counting; the node that lost it is fenced off', async () => {
  const job = await create('c1');
  const run1 = await store.claim('node-a', 30);
  assert.equal(run1?.id, job.id);
  assert.equal(await store.claim('node-b', 30), undefined, 'not while node-a’s lease runs');
  assert.equal(await store.renew(job.id, 'node-a', 30, progressOf(job, 10)), true, 'the owner checkpoints');

  await lapse(job.id);
  const run2 = await store.claim('node-b', 30);
  assert.equal(run2?.id, job.id, 'node-a died: node-b takes the job over');
  assert.equal(run2?.attempts, 2);
  assert.deepEqual(run2?.progress, progressOf(job, 10), 'from node-a’s last checkpoint');

  // node-a wakes up (a long pause, a network partition): none of its writes may land.
  assert.equal(await store.renew(job.id, 'node-a', 30), false, 'heartbeat');
  assert.equal(await store.renew(job.id, 'node-a', 30, progressOf(job, 99)), false, 'checkpoint');
  assert.equal(await store.complete(job.id, 'node-a', progressOf(job, 99), 60), false, 'completion');
  await store.fail(job.id, 'node-a', { resourceType: 'OperationOutcome' }, 60);
  await store.retryLater(job.id, 'node-a', 60);
  await store.release('node-a');
  assert.deepEqual(await row(job.id), { status: 'running', lease_owner: 'node-b', attempts: 2, expires_at: null }, 'still node-b’s, untouched');
  assert.deepEqual((await store.find(job.id))?.progress, progressOf(job, 10));

  assert.equal(await store.renew(job.id, 'node-b', 30, progressOf(job, 20)), true);
  assert.equal(await store.complete(job.id, 'node-b', progressOf(job, 30), 60), true);
  const done = await store.find(job.id);
  assert.deepEqual([done?.status, done?.progress.total, done?.attempts], ['completed', 30, 2]);
  assert.equal((await row(job.id)).lease_owner, null);
  assert.equal(await store.renew(job.id, 'node-b', 30), false, 'a completed job has no lease to renew');
  await lapse(job.id);
  assert.equal(await store.claim('node-c', 30), undefined, 'a completed job is never claimed again');
});

test('release hands a clean shutdown’s jobs back at once; retryLater only after its delay', async () => {
  const a = await create('c1');
  const b = await create('c2');
  assert.equal((await store.claim('node-a', 3600))?.id, a.id);
  assert.equal((await store.claim('node-a', 3600))?.id, b.id);
  await store.release('node-a');
  const resumed = [await store.claim('node-b', 30), await store.claim('node-b', 30)];
  assert.deepEqual(resumed.map((j) => j?.id), [a.id, b.id], 'released: no need to wait the hour out');
  assert.deepEqual(resumed.map((j) => j?.attempts), [1, 1], 'a run handed back is not a failed attempt');

  await store.retryLater(a.id, 'node-b', 3600);
  assert.equal((await row(a.id)).lease_owner, null);
  assert.equal(await store.claim('node-c', 30), undefined, 'a failed run waits its delay');
  assert.equal(await store.renew(a.id, 'node-b', 30), false, 'and is no longer node-b’s');
  await lapse(a.id);
  const retried = await store.claim('node-c', 30);
  assert.deepEqual([retried?.id, retried?.attempts], [a.id, 2], 'a failed run is');
});

test('a job handed back by one clean shutdown after another never runs out of attempts (rolling restarts)', async () => {
  const job = await create('c1');
  // The worker fails a job claimed more than maxAttempts (3) times: crashes and failures count, shutdowns must not.
  for (let restart = 1; restart <= 5; restart++) {
    const claimed = await store.claim(`node-${restart}`, 30);
    assert.deepEqual([claimed?.id, claimed?.attempts], [job.id, 1], `after ${restart - 1} clean shutdowns`);
    await store.release(`node-${restart}`);
  }
  await store.claim('node-crashing', 30);
  await lapse(job.id);
  assert.equal((await store.claim('node-next', 30))?.attempts, 2, 'a crash (the lease lapsed) still counts');
});

test('fail by the owner records the outcome and expiry; the job is never claimed again', async () => {
  const job = await create('c1');
  await store.claim('node-a', 30);
  const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: 'no' }] };
  await store.fail(job.id, 'node-a', outcome, 60);
  const failed = await store.find(job.id);
  assert.deepEqual([failed?.status, failed?.failure], ['failed', outcome]);
  assert.ok(failed?.finishedAt !== undefined && failed.expiresAt !== undefined);
  const keptMs = failed.expiresAt.getTime() - failed.finishedAt.getTime();
  assert.ok(Math.abs(keptMs - 60_000) < 1000, `kept 60 s, not ${keptMs} ms`);
  await lapse(job.id);
  assert.equal(await store.claim('node-b', 30), undefined);
});

test('cancel: find answers undefined at once, the running node is fenced off, sweep returns it once', async () => {
  const job = await create('c1');
  const kept = await create('c2');
  await store.claim('node-a', 30);
  assert.equal(await store.cancel(job.id), true);
  assert.equal(await store.find(job.id), undefined, 'the status URL answers 404');
  assert.equal(await store.cancel(job.id), false, 'a second cancel finds nothing');
  assert.equal(await store.renew(job.id, 'node-a', 30, progressOf(job, 5)), false, 'the run stops at its next checkpoint');
  assert.equal(await store.complete(job.id, 'node-a', progressOf(job, 5), 60), false);
  await lapse(job.id);
  assert.equal((await store.claim('node-b', 30))?.id, kept.id, 'a cancelled job is not claimed; the next one is');

  assert.deepEqual(await store.sweep(), [job.id], 'its files go with this sweep');
  assert.deepEqual(await store.sweep(), []);
  assert.equal((await store.find(kept.id))?.status, 'running', 'the other job stays');
  assert.equal(await store.cancel('not-a-uuid'), false);
  assert.equal(await store.find('not-a-uuid'), undefined);
  assert.equal(await store.cancel(crypto.randomUUID()), false);
});

test('expiry: a finished job is found until its expiry, then sweep deletes it; live jobs are never swept', async () => {
  const done = await create('c1');
  const running = await create('c2');
  const queued = await create('c3');
  await store.claim('node-a', 30);
  await store.claim('node-a', 30);
  assert.equal(await store.complete(done.id, 'node-a', progressOf(done, 3), 60), true);
  assert.deepEqual(await store.sweep(), [], 'nothing has expired');
  assert.equal((await store.find(done.id))?.status, 'completed');

  await testDb.db.sql`update export_jobs set expires_at = now() - interval '1 millisecond' where id = ${done.id}`;
  assert.equal(await store.find(done.id), undefined, 'expired: 404 even before the sweep');
  assert.equal(await store.cancel(done.id), false, 'an expired job cannot be cancelled');
  assert.deepEqual(await store.sweep(), [done.id]);
  assert.deepEqual(await store.sweep(), []);
  assert.deepEqual((await testDb.db.sql<{ id: string }[]>`select id from export_jobs order by created_at`).map((r) => r.id), [running.id, queued.id]);
});

test('countByStatus: the live jobs of every node by status; expired and cancelled ones are gone', async () => {
  assert.deepEqual(await store.countByStatus(), { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
  const done = await create('c1');
  const failing = await create('c2');
  await create('c3');
  const cancelled = await create('c4');
  await create('c5');
  await store.claim('node-a', 30);
  await otherStore.claim('node-b', 30);
  await store.claim('node-a', 30);
  assert.equal(await store.complete(done.id, 'node-a', progressOf(done, 1), 60), true);
  await otherStore.fail(failing.id, 'node-b', { resourceType: 'OperationOutcome' }, 60);
  assert.equal(await store.cancel(cancelled.id), true);
  assert.deepEqual(await otherStore.countByStatus(), { queued: 1, running: 1, completed: 1, failed: 1, cancelled: 0 }, 'the same from any node');
  await testDb.db.sql`update export_jobs set expires_at = now() - interval '1 millisecond' where id = ${done.id}`;
  assert.equal((await store.countByStatus()).completed, 0, 'an expired job counts no more, even before the sweep');
});

test('the per-client limit holds under 10 concurrent kick-offs: exactly maxActive pass, per client', async () => {
  const results = await Promise.all([
    ...Array.from({ length: 10 }, () => store.create(newJob('busy'), 2)),
    ...Array.from({ length: 10 }, () => otherStore.create(newJob('other'), 2)),
    ...Array.from({ length: 10 }, () => otherStore.create(newJob(undefined), 3)),
  ]);
  const made = (client: string | undefined) => results.filter((j) => j !== undefined && j.clientId === client).length;
  assert.equal(made('busy'), 2);
  assert.equal(made('other'), 2, 'one client’s limit does not count another’s jobs');
  assert.equal(made(undefined), 3, 'requests without a client (FHIRKEEP_DEV_NO_AUTH) share one limit');
  const counts = await testDb.db.sql<{ client_id: string | null; n: number }[]>`
    select client_id, count(*)::int as n from export_jobs group by client_id order by client_id nulls last`;
  assert.deepEqual(counts.map((c) => [c.client_id, c.n]), [['busy', 2], ['other', 2], [null, 3]]);

  // Running jobs count; finished, failed and cancelled ones do not.
  await testDb.db.sql`delete from export_jobs where client_id is distinct from 'busy'`;
  assert.equal(await store.create(newJob('busy'), 2), undefined);
  const [first, second] = await testDb.db.sql<{ id: string }[]>`select id from export_jobs where client_id = 'busy' order by created_at`;
  assert.ok(first !== undefined && second !== undefined);
  const claimed = await store.claim('node-a', 30);
  assert.ok(claimed !== undefined);
  assert.equal(claimed.id, first.id);
  assert.equal(await store.create(newJob('busy'), 2), undefined, 'one running, one queued');
  assert.equal(await store.complete(first.id, 'node-a', claimed.progress, 60), true);
  const third = await store.create(newJob('busy'), 2);
  assert.ok(third !== undefined, 'a finished job frees its place');
  assert.equal(await store.create(newJob('busy'), 2), undefined);
  assert.equal(await store.cancel(second.id), true);
  assert.ok((await store.create(newJob('busy'), 2)) !== undefined, 'so does a cancelled one');
});

test('poll: true at most once per interval while the job runs', async () => {
  const job = await create('c1');
  assert.equal(await store.poll(job.id, 1000), true, 'the first poll');
  assert.equal(await store.poll(job.id, 1000), false, 'at once again: too soon');
  assert.equal((await store.find(job.id))?.polledAt !== undefined, true);
  await testDb.db.sql`update export_jobs set polled_at = now() - interval '1100 milliseconds' where id = ${job.id}`;
  assert.equal(await store.poll(job.id, 1000), true, 'a second later');
  assert.equal(await store.poll(job.id, 1000), false);
  await testDb.db.sql`update export_jobs set polled_at = now() - interval '900 milliseconds' where id = ${job.id}`;
  assert.equal(await store.poll(job.id, 1000), false, '0.9 s is too soon for an interval of 1 s');
  assert.equal(await store.poll(job.id, 800), true, 'but not for one of 0.8 s');
  assert.equal(await store.poll(crypto.randomUUID(), 1000), false, 'no such job');
});
