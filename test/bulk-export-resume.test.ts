import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import type { ExportProgress } from '../src/storage/bulk/export-job-store.js';
import { freePort } from '../src/storage/cluster/free-port.js';
import { acceptedKickOff, downloadAll, jobIdOf, pollUntilDone, statusRequest, type Manifest } from './support/bulk-export.js';
import { startTestServer, TEST_NODE_SETTINGS, type TestServer } from './support/fhirkeep-server.js';
import { institutionToken } from './support/institution.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { lockTable, readersWaiting, until, type TableLock } from './support/table-lock.js';

/**
 * A node dies in the middle of an export (kill -9), or stops cleanly (SIGTERM), and a node
 * started afterwards on the same database and data directory finishes the job: every resource
 * exactly once, nothing missing, each file as long as the manifest says.
 *
 * The nodes are real `fhirkeep serve` processes. To stop the export at a known point without a
 * test hook in the server, the test holds an ACCESS EXCLUSIVE lock on resource_history: the
 * exporter reads history only for a batch holding a resource changed since the kick-off, so it
 * waits there, mid-export, for as long as the test wants. Observations touched after the
 * kick-off put such batches where the test needs them.
 */

const PATIENTS = 100;
const OBSERVATIONS = 4000;
/**
 * Lines per file: not a divisor of the exporter's batch (1000 rows), so the file open at a
 * checkpoint is only partly full and the lines written after it land in the same file — what a
 * resume must cut back.
 */
const FILE_LINES = 700;
/**
 * Observations changed after each kick-off: in id order the 501st and the 2501st, in the first
 * and the third batch of 1000 (were batches smaller, still two with a whole batch between).
 */
let touchedIds: readonly string[];

let dataDir: string;
let port: number;
let baseUrl: string;
/** An in-process node that runs no exports: it owns the database, issues the token and takes writes. */
let admin: TestServer;
/** Where the admin node really listens (its base URL is the serve processes'). */
let adminFhir: string;
let sql: postgres.Sql;
let token: string;
const children = new Set<ServeProcess>();

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-export-resume-'));
  port = await freePort();
  // Every node, the admin one included, has the base URL of the `serve` processes: the token's
  // audience, and the URLs the manifest hands out.
  baseUrl = `http://localhost:${port}`;
  const adminPort = await freePort();
  admin = await startTestServer({ FHIRKEEP_PORT: String(adminPort), FHIRKEEP_BASE_URL: baseUrl, FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_EXPORT_WORKERS: '0' });
  adminFhir = `http://localhost:${adminPort}/fhir`;
  sql = postgres(admin.databaseUrl, { max: 4, onnotice: () => {} });
  token = await institutionToken(admin.fhirkeep, 'system/*.cruds');
  // Plain creates: a transaction writes them in one statement, so loading takes seconds.
  const patients = await transaction(Array.from({ length: PATIENTS }, (_, i) => ({ resourceType: 'Patient', gender: i % 2 === 0 ? 'female' : 'male' })));
  const observation = (i: number) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: patients[i % PATIENTS] },
    valueQuantity: { value: 60 + (i % 40), unit: '/min' },
  });
  for (let from = 0; from < OBSERVATIONS; from += 1000) await transaction(Array.from({ length: 1000 }, (_, i) => observation(from + i)));
  const ids = (await sql<{ id: string }[]>`select id from resources where type = 'Observation' order by id`).map((r) => r.id);
  assert.equal(ids.length, OBSERVATIONS);
  touchedIds = [ids[500] ?? '', ids[2500] ?? ''];
});

// A failed assertion must leave neither a server running nor the history locked for the next test.
afterEach(async () => {
  for (const node of children) node.child.kill('SIGKILL');
  await Promise.all([...children].map((n) => n.exited));
  for (const lock of heldLocks.splice(0)) await lock.release();
});

after(async () => {
  await sql?.end();
  await admin?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Creates the resources in one transaction; answers their references (`Type/id`), in order. */
async function transaction(resources: readonly { resourceType: string }[]): Promise<string[]> {
  const res = await fetch(`${adminFhir}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: resources.map((r) => ({ resource: r, request: { method: 'POST', url: r.resourceType } })) }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const bundle = JSON.parse(text) as { entry: { response: { location: string } }[] };
  return bundle.entry.map((e) => e.response.location.split('/_history/')[0] ?? '');
}

/**
 * Changes the touched Observations after a kick-off (the export must still write them as they
 * were); answers their versions before the change.
 */
async function touch(): Promise<Map<string, string>> {
  const before = new Map<string, string>();
  for (const id of touchedIds) {
    const read = await fetch(`${adminFhir}/Observation/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(read.status, 200);
    before.set(id, ((await read.json()) as { meta: { versionId: string } }).meta.versionId);
    const res = await fetch(`${adminFhir}/Observation/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ resourceType: 'Observation', id, status: 'amended', code: { text: 'changed after the kick-off' } }),
    });
    assert.equal(res.status, 200, await res.text());
  }
  return before;
}

/** `fhirkeep serve` on the test's database and data directory, one export at a time. */
async function startNode(settings: Record<string, string>): Promise<ServeProcess> {
  const node = await startServe({
    FHIRKEEP_DATABASE_URL: admin.databaseUrl,
    FHIRKEEP_DATA_DIR: dataDir,
    FHIRKEEP_PORT: String(port),
    FHIRKEEP_BASE_URL: baseUrl,
    FHIRKEEP_KEY_ENCRYPTION_KEY: TEST_NODE_SETTINGS.FHIRKEEP_KEY_ENCRYPTION_KEY,
    FHIRKEEP_EXPORT_WORKERS: '1',
    FHIRKEEP_EXPORT_FILE_LINES: String(FILE_LINES),
    FHIRKEEP_EXPORT_POLL_SECONDS: '1',
    ...settings,
  });
  children.add(node);
  void node.exited.then(() => children.delete(node));
  return node;
}

/** The test's locks not yet released (a failed test releases them in afterEach). */
const heldLocks: TableLock[] = [];

/**
 * Holds resource_history locked: the exporter waits at its next batch that needs history.
 * `queued`: asked for while the first is held, it waits behind the exporter already waiting, so
 * when the first goes the exporter reads its batch and waits again at the next that needs history.
 */
async function lockHistory(queued = false): Promise<TableLock> {
  const lock = await lockTable(sql, 'resource_history', queued);
  heldLocks.push(lock);
  return lock;
}

/** The exporter waits for its history lookup (the test's own locks are not readers). */
async function exporterWaiting(): Promise<boolean> {
  return (await readersWaiting(sql, 'resource_history')) > 0;
}

interface JobRow {
  status: string;
  attempts: number;
  /** The lease ran out or was given up. */
  released: boolean;
  progress: ExportProgress;
}

async function jobRow(id: string): Promise<JobRow> {
  const [row] = await sql<JobRow[]>`
    select status, attempts, lease_until <= now() as released, progress from export_jobs where id = ${id}`;
  assert.ok(row !== undefined, `job ${id} exists`);
  return row;
}

/**
 * The whole check of a finished export: each line parses and is counted (downloadAll), every
 * Patient and Observation of the database is there exactly once and nothing else, and the
 * Observations changed after the kick-off are there as they were at its transaction time.
 */
async function assertComplete(manifest: Manifest, touched: ReadonlyMap<string, string>): Promise<void> {
  const { resources: exported } = await downloadAll(manifest, token);
  const inDatabase = await sql<{ key: string }[]>`
    select type || '/' || id as key from resources where type in ('Patient', 'Observation') and not deleted order by 1`;
  assert.equal(inDatabase.length, PATIENTS + OBSERVATIONS);
  assert.deepEqual([...exported.keys()].sort(), inDatabase.map((r) => r.key), 'the export holds exactly what the database holds');
  for (const [id, version] of touched) assert.equal(exported.get(`Observation/${id}`)?.meta?.versionId, version, `${id} as it was at the kick-off`);
  assert.deepEqual(manifest.error, []);
}

test('kill -9 in the middle of an export: a node started afterwards resumes from the checkpoint, no line twice or missing', async () => {
  const statusUrl = await acceptedKickOff(adminFhir, '/$export?_type=Patient,Observation', token);
  const jobId = jobIdOf(statusUrl);
  const touched = await touch();

  const first = await lockHistory();
  const dying = await startNode({ FHIRKEEP_EXPORT_LEASE_SECONDS: '2' });
  await until('the exporter waits for the first batch that needs history', exporterWaiting);
  assert.deepEqual((({ status, attempts }) => ({ status, attempts }))(await jobRow(jobId)), { status: 'running', attempts: 1 });
  // The exporter checkpoints a second after its last checkpoint (the end of the Patients):
  // past that, it checkpoints as soon as this batch is written.
  await sleep(1000);
  const second = await lockHistory(true);
  await first.release();
  await until('a checkpoint in the middle of the Observations, then the exporter waits again', async () => {
    const { progress } = await jobRow(jobId);
    return progress.typeIndex === 1 && progress.afterId !== undefined && (await exporterWaiting());
  });

  // What the job holds for good, and what the node wrote past it before it died.
  const committed = (await jobRow(jobId)).progress;
  const open = committed.files.at(-1);
  assert.ok(open !== undefined && open.type === 'Observation' && open.count < FILE_LINES, 'the checkpoint left an Observation file partly full');
  const jobDir = join(dataDir, 'exports', jobId);
  assert.ok(statSync(join(jobDir, open.name)).size > open.bytes, `${open.name} holds lines written after the checkpoint`);
  // Whether the node also opened a file the checkpoint never named depends on where the batch it
  // wrote last ended: timing. Either way such a file is never served, and the run that takes
  // over names its own files apart, so it cannot write into it.
  const unnamed = readdirSync(jobDir).filter((name) => !committed.files.some((f) => f.name === name));
  const progress = await statusRequest(statusUrl, token);
  assert.equal(progress.status, 202);
  const pollAgainAt = Date.now() + Number(progress.headers.get('retry-after')) * 1000;
  assert.equal(progress.headers.get('x-progress'), `exporting Observation (type 2 of 2): ${committed.total} resources so far`);

  dying.child.kill('SIGKILL');
  assert.deepEqual(await dying.exited, { code: null, signal: 'SIGKILL' });
  await second.release();
  assert.equal((await jobRow(jobId)).status, 'running', 'the dead node still holds the job until its lease lapses');

  const heir = await startNode({ FHIRKEEP_EXPORT_LEASE_SECONDS: '2' });
  // As a client must: no status request sooner than the last one's Retry-After.
  await sleep(Math.max(0, pollAgainAt - Date.now()));
  const { manifest } = await pollUntilDone(statusUrl, token);
  const done = await jobRow(jobId);
  assert.deepEqual([done.status, done.attempts], ['completed', 2], 'one run that died, one that finished');
  // The files the dead node had committed are kept as they were committed: cut back, not rewritten.
  assert.deepEqual(
    manifest.output.slice(0, committed.files.length).map((f) => [f.type, f.url.split('/').at(-1), f.count]),
    committed.files.map((f) => [f.type, f.name, f.count]),
  );
  assert.equal(statSync(join(jobDir, open.name)).size, open.bytes, `${open.name} is cut back to its checkpoint`);
  const resumed = manifest.output.slice(committed.files.length).map((f) => f.url.split('/').at(-1) ?? '');
  assert.ok(resumed.length > 0 && resumed.every((name) => /-r2\.ndjson$/.test(name)), `the resumed run's files are its own: ${resumed.join(', ')}`);
  for (const name of unnamed) assert.ok(!manifest.output.some((f) => f.url.endsWith(`/${name}`)), `${name}, never committed, is not served`);
  assert.equal(manifest.output.reduce((n, f) => n + (f.count ?? 0), 0), PATIENTS + OBSERVATIONS);
  await assertComplete(manifest, touched);

  heir.child.kill('SIGTERM');
  assert.deepEqual(await heir.exited, { code: 0, signal: null });
});

test('SIGTERM in the middle of an export hands the job back: a node started afterwards resumes it at once, not after the lease', async () => {
  const statusUrl = await acceptedKickOff(adminFhir, '/$export?_type=Patient,Observation', token);
  const jobId = jobIdOf(statusUrl);
  const touched = await touch();

  // A lease of a minute: only a lease handed back lets the next node start within it.
  const lease = { FHIRKEEP_EXPORT_LEASE_SECONDS: '60' };
  const first = await lockHistory();
  const stopping = await startNode(lease);
  await until('the exporter waits for the first batch that needs history', exporterWaiting);

  stopping.child.kill('SIGTERM');
  await stopping.logged('shutting down');
  // Two locks: should the exporter read on before the worker is told to stop, it waits at the
  // third batch, by which time it has been told.
  const second = await lockHistory(true);
  await first.release();
  await until('the exporter stops or waits again', async () => children.has(stopping) === false || (await exporterWaiting()));
  await second.release();
  assert.deepEqual(await stopping.exited, { code: 0, signal: null });

  const handedBack = await jobRow(jobId);
  assert.deepEqual(
    { status: handedBack.status, attempts: handedBack.attempts, released: handedBack.released, typeIndex: handedBack.progress.typeIndex },
    { status: 'running', attempts: 0, released: true, typeIndex: 1 },
    'stopped among the Observations, its lease given up and its attempt with it',
  );
  assert.equal(existsSync(join(dataDir, 'exports', jobId)), true);

  const heir = await startNode(lease);
  // Fifteen polls a second apart: well within the minute the lease would have held the job.
  const { manifest } = await pollUntilDone(statusUrl, token, 15);
  const done = await jobRow(jobId);
  assert.deepEqual([done.status, done.attempts], ['completed', 1], 'a run handed back at a clean shutdown is not a failed attempt');
  await assertComplete(manifest, touched);

  heir.child.kill('SIGTERM');
  assert.deepEqual(await heir.exited, { code: 0, signal: null });
});
