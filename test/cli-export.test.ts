/**
 * `fhirkeep export [--type T…] [--since INSTANT] --out DIR` (CONTRACT.md): the operator's bulk
 * export through the server's export runner, into `<Type>-<n>.ndjson` files in DIR, beside a
 * running server on the same database that must never take the CLI's job — neither while the
 * CLI runs it nor after the CLI died.
 */
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { systemScope } from '../src/access/scope.js';
import type { ExportRequest } from '../src/bulk/export-request.js';
import { parseConfig } from '../src/config/load.js';
import { createIndexer } from '../src/search/index/indexer.js';
import { r4ParamRegistry } from '../src/search/params/param-registry.js';
import { createExportJobStore, type NewExportJob } from '../src/storage/bulk/export-job-store.js';
import { openDatabase, type Database } from '../src/storage/database.js';
import { createResourceStore } from '../src/storage/resource-store.js';
import { typeOnlyClassifier } from './support/classifier.js';
import { runCli, spawnCli } from './support/cli.js';
import { createTestDatabase } from './support/database.js';
import { foreignAuditEvent } from './support/foreign-audit-event.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

let work: string;
let server: TestServer;
let db: Database;
const scope = systemScope('cli-export test data');
/** What the export must write: the current, undeleted resources by type. */
const stored: Record<string, string[]> = { Encounter: ['e1'], Observation: ['o1', 'o2', 'o3', 'o4'], Patient: ['p1', 'p2', 'p3'] };
/** The CLI's and the server's lease: short, so a job nobody renews lapses within the test. */
const LEASE_SECONDS = 2;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-cli-export-'));
  chmodSync(work, 0o755);
  // A node that runs exports (it polls every second), on the database the CLI exports from.
  server = await startTestServer({ FHIRKEEP_EXPORT_WORKERS: '1', FHIRKEEP_DATA_DIR: join(work, 'server'), FHIRKEEP_EXPORT_LEASE_SECONDS: String(LEASE_SECONDS) });
  db = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: server.databaseUrl }), pino({ level: 'silent' }));
  const store = createResourceStore(db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  for (const id of [...(stored.Patient ?? []), 'p-gone']) await store.update(scope, 'Patient', id, { resourceType: 'Patient', id, gender: 'female' });
  await store.delete(scope, 'Patient', 'p-gone');
  for (const [i, id] of (stored.Observation ?? []).entries()) {
    await store.update(scope, 'Observation', id, { resourceType: 'Observation', id, status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/p${(i % 2) + 1}` } });
  }
  await store.update(scope, 'Encounter', 'e1', { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } });
  // Written as a resource, as a FHIR create could before the audit trail had its table: no trail, never exported.
  await store.update(scope, 'AuditEvent', 'legacy', foreignAuditEvent({ id: 'legacy', patient: 'p1' }));
});
after(async () => {
  await db?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The CLI on the server's database, with files of at most 3 lines so a type of 4 is split. */
function env(): Record<string, string> {
  return {
    FHIRKEEP_DATABASE_URL: server.databaseUrl,
    FHIRKEEP_DATA_DIR: join(work, 'cli'),
    FHIRKEEP_LOG_LEVEL: 'warn',
    FHIRKEEP_EXPORT_FILE_LINES: '3',
    FHIRKEEP_EXPORT_LEASE_SECONDS: String(LEASE_SECONDS),
  };
}

/** Each file of DIR, its lines parsed (a line that is not JSON fails the test). */
function readExport(dir: string): Record<string, { resourceType: string; id: string }[]> {
  const files: Record<string, { resourceType: string; id: string }[]> = {};
  for (const name of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    assert.ok(text.endsWith('\n'), `${name} ends with a new line`);
    files[name] = text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line) as { resourceType: string; id: string });
  }
  return files;
}

interface JobRow {
  readonly id: string;
  readonly status: string;
  readonly lease_owner: string | null;
  readonly lease_until: Date | null;
  readonly attempts: number;
  readonly failure: unknown;
}

/** The export_jobs rows, as a plain array (what deepEqual compares). */
async function jobRows(): Promise<JobRow[]> {
  return [...(await db.sql<JobRow[]>`select id, status, lease_owner, lease_until, attempts, failure from export_jobs order by created_at`)];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function waitForText(stream: Readable, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const listen = (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        stream.off('data', listen);
        resolve();
      }
    };
    stream.on('data', listen);
  });
}

/** Holds an ACCESS EXCLUSIVE lock on `resources` while `work` runs: a CLI's export reads block on it, its job row does not. */
async function withResourcesLocked<T>(work: () => Promise<T>): Promise<T> {
  const locked = await db.sql.reserve();
  try {
    await locked`begin`;
    await locked`lock table resources in access exclusive mode`;
    return await work();
  } finally {
    await locked`commit`;
    locked.release();
  }
}

test('exports every stored type into new DIR as <Type>-<n>.ndjson, split at FHIRKEEP_EXPORT_FILE_LINES; --json gives files, counts and transactionTime; the job row is gone', async () => {
  const dir = join(work, 'all');
  const started = new Date();
  const { code, stdout, stderr } = await runCli(['--json', 'export', '--out', dir], env());
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout) as { transactionTime: string; dir: string; types: string[]; output: { type: string; path: string; count: number }[]; total: number };
  assert.deepEqual(readdirSync(dir).sort(), ['Encounter-1.ndjson', 'Observation-2.ndjson', 'Observation-3.ndjson', 'Patient-4.ndjson']);
  const files = readExport(dir);
  for (const [name, lines] of Object.entries(files)) for (const r of lines) assert.equal(r.resourceType, name.split('-')[0], name);
  assert.deepEqual(files['Encounter-1.ndjson']?.map((r) => r.id), ['e1']);
  assert.deepEqual([...(files['Observation-2.ndjson'] ?? []), ...(files['Observation-3.ndjson'] ?? [])].map((r) => r.id), ['o1', 'o2', 'o3', 'o4']);
  assert.deepEqual(files['Patient-4.ndjson']?.map((r) => r.id), ['p1', 'p2', 'p3'], 'the deleted Patient is not exported');
  assert.deepEqual(result.output, [
    { type: 'Encounter', path: join(dir, 'Encounter-1.ndjson'), count: 1 },
    { type: 'Observation', path: join(dir, 'Observation-2.ndjson'), count: 3 },
    { type: 'Observation', path: join(dir, 'Observation-3.ndjson'), count: 1 },
    { type: 'Patient', path: join(dir, 'Patient-4.ndjson'), count: 3 },
  ]);
  assert.deepEqual(result.types, ['Encounter', 'Observation', 'Patient']);
  assert.equal(result.total, 8);
  assert.equal(result.dir, dir);
  const at = Date.parse(result.transactionTime);
  assert.ok(at >= started.getTime() - 1000 && at <= Date.now(), result.transactionTime);
  assert.doesNotMatch(stderr, /resources \(/, '--json prints no progress');
  assert.deepEqual(await jobRows(), [], 'the job row is deleted');
  assert.equal(existsSync(join(work, 'server', 'exports')), false, 'the server wrote nothing');
});

test('--type narrows to the types given, in their order (repeated or comma-separated); an empty DIR is fine; people get a line per type and a list of files', async () => {
  const dir = join(work, 'some');
  mkdirSync(dir);
  const { code, stdout, stderr } = await runCli(['export', '--type', 'Patient', '--type', 'Encounter,Patient', '--out', dir], env());
  assert.equal(code, 0, stderr);
  assert.deepEqual(readdirSync(dir).sort(), ['Encounter-2.ndjson', 'Patient-1.ndjson']);
  const files = readExport(dir);
  assert.deepEqual(files['Patient-1.ndjson']?.map((r) => r.id), ['p1', 'p2', 'p3']);
  assert.deepEqual(files['Encounter-2.ndjson']?.map((r) => r.id), ['e1']);
  assert.match(stdout, /^Exported 4 resources of 2 types to \S+ in [\d.]+ s \(transactionTime \d{4}-\d\d-\d\dT[\d:.]+Z\)\n {2}Patient-1\.ndjson {4}3\n {2}Encounter-2\.ndjson {2}1\n$/);
  assert.match(stderr, /^Patient: 3 resources \(1\/2\), [\d.]+ s\nEncounter: 1 resources \(2\/2\), [\d.]+ s\n$/);
  assert.deepEqual(await jobRows(), []);
});

test('--since narrows to resources last updated after the instant', async () => {
  await sleep(10);
  const since = new Date();
  await sleep(10);
  const store = createResourceStore(db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  await store.update(scope, 'Patient', 'p1', { resourceType: 'Patient', id: 'p1', gender: 'male' });
  await store.update(scope, 'Observation', 'o5', { resourceType: 'Observation', id: 'o5', status: 'final', code: { text: 'height' }, subject: { reference: 'Patient/p3' } });
  (stored.Observation ?? []).push('o5');
  const dir = join(work, 'since');
  const { code, stdout, stderr } = await runCli(['--json', 'export', '--since', since.toISOString(), '--out', dir], env());
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout) as { since: string; output: { type: string; count: number }[]; total: number };
  assert.equal(result.since, since.toISOString());
  assert.deepEqual(result.output.map((f) => [f.type, f.count]), [['Observation', 1], ['Patient', 1]]);
  assert.equal(result.total, 2);
  const files = readExport(dir);
  assert.deepEqual(Object.keys(files), ['Observation-1.ndjson', 'Patient-2.ndjson']);
  assert.deepEqual(files['Observation-1.ndjson']?.map((r) => r.id), ['o5']);
  assert.deepEqual(files['Patient-2.ndjson']?.map((r) => ({ id: r.id, gender: (r as { gender?: string }).gender })), [{ id: 'p1', gender: 'male' }]);
});

test('a bad --type or --since, no --out, or an --out that is not empty or not a folder: a clear message, a non-zero exit, nothing written', async () => {
  const fresh = join(work, 'never');
  const full = join(work, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'keep.txt'), 'mine');
  const aFile = join(work, 'a-file');
  writeFileSync(aFile, 'x');
  for (const [args, code, message] of [
    [['--type', 'Nope', '--out', fresh], 2, /Unknown resource type: Nope$/m],
    [['--type', 'Patient,Nope', '--type', 'Bogus', '--out', fresh], 2, /Unknown resource types: Nope, Bogus$/m],
    [['--type', 'Patient,AuditEvent', '--out', fresh], 2, /--type AuditEvent: the audit trail is not among the stored resources exported; an auditor reads it at \[base\]\/AuditEvent$/m],
    [['--since', 'yesterday', '--out', fresh], 2, /--since must be a FHIR instant \(e\.g\. 2024-01-31T12:00:00Z\), got "yesterday"/],
    [['--type', 'Patient'], 1, /required option '--out <dir>' not specified/],
    [['--out', full], 2, /--out \S+full is not empty \(1 entry\): give a new or empty directory/],
    [['--out', aFile], 2, /--out \S+a-file is not a directory/],
  ] as const) {
    const result = await runCli(['export', ...args], env());
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stdout, '', args.join(' '));
  }
  const json = await runCli(['--json', 'export', '--type', 'Nope', '--out', fresh], env());
  assert.deepEqual(JSON.parse(json.stderr), { error: 'Unknown resource type: Nope' });
  assert.equal(existsSync(fresh), false);
  assert.deepEqual(readdirSync(full), ['keep.txt']);
  assert.equal(readFileSync(full + '/keep.txt', 'utf8'), 'mine');
  assert.equal(readFileSync(aFile, 'utf8'), 'x');
  assert.deepEqual(await jobRows(), []);
});

test('beside a running server: the server never takes the running CLI’s job; Ctrl-C stops the export, deletes its files, its folder and its job row', async () => {
  const dir = join(work, 'interrupted');
  const cli = spawnCli(['export', '--type', 'Patient', '--out', dir], env());
  const stopped = waitForText(cli.child.stderr as Readable, /Stopping the export/);
  const job = await withResourcesLocked(async () => {
    const [first] = await waitFor('the CLI’s job row', async () => {
      const rows = await jobRows();
      return rows.length > 0 ? rows : undefined;
    });
    assert.ok(first !== undefined);
    assert.equal(first.status, 'running', 'made running, never queued');
    // Past the lease and a server poll: a job the CLI did not renew would be the server's by now.
    await sleep(LEASE_SECONDS * 1000 + 1300);
    const [held] = await jobRows();
    assert.equal(held?.lease_owner, first.lease_owner, 'still the CLI’s');
    assert.equal(held?.attempts, 1);
    assert.ok((held?.lease_until?.getTime() ?? 0) > (first.lease_until?.getTime() ?? Infinity), 'the CLI renews its lease');
    assert.equal(existsSync(join(work, 'server', 'exports', first.id)), false);
    assert.equal(existsSync(dir), true, 'the CLI made DIR');
    cli.child.kill('SIGINT');
    await stopped;
    return first;
  });
  const result = await cli.result;
  assert.equal(result.code, 130, result.stderr);
  assert.match(result.stderr, /Export interrupted: its partial files are deleted/);
  assert.equal(result.stdout, '');
  assert.equal(existsSync(dir), false, 'the folder it made is gone');
  assert.deepEqual(await jobRows(), [], `job ${job.id} is deleted`);
});

test('a CLI killed mid-export leaves a job the server fails once its lease lapses, without writing a file (a system principal does not export)', async () => {
  const dir = join(work, 'killed');
  const cli = spawnCli(['export', '--type', 'Patient', '--out', dir], env());
  await withResourcesLocked(async () => {
    const [job] = await waitFor('the CLI’s job row', async () => {
      const rows = await jobRows();
      return rows.length > 0 ? rows : undefined;
    });
    assert.ok(job !== undefined);
    cli.child.kill('SIGKILL');
    await cli.result;
    const failed = await waitFor('the server to fail the orphan', async () => {
      const [row] = await jobRows();
      return row?.status === 'failed' ? row : undefined;
    });
    assert.equal(failed.id, job.id);
    assert.match(JSON.stringify(failed.failure), /A system principal does not export/);
    assert.equal(existsSync(join(work, 'server', 'exports', job.id)), false);
    await db.sql`delete from export_jobs where id = ${job.id}`;
  });
});

test('the job store: a running job made for the CLI is not claimed while leased, and counts against no client’s limit', async () => {
  const database = await createTestDatabase();
  try {
    const jobs = createExportJobStore(database.db.sql);
    const request: ExportRequest = { level: { kind: 'system' }, types: [], since: undefined, typeFilters: {}, patients: undefined, includeProvenance: false, warnings: [] };
    const job = (principal: NewExportJob['principal']): NewExportJob => ({ clientId: undefined, principal, request, requestUrl: 'x', types: ['Patient'] });
    const cli = await jobs.createRunning(job(systemScope('fhirkeep export').principal), 'cli', 30);
    assert.equal(cli.status, 'running');
    const anonymous = await jobs.create(job({ kind: 'dev-anonymous' }), 1);
    assert.ok(anonymous !== undefined, 'the CLI’s job does not count against the anonymous limit');
    assert.equal(await jobs.create(job({ kind: 'dev-anonymous' }), 1), undefined, 'the limit still holds for the anonymous jobs themselves');
    assert.equal((await jobs.claim('node', 30))?.id, anonymous.id);
    assert.equal(await jobs.claim('node', 30), undefined, 'the CLI’s leased job is not claimable');
    await jobs.remove(cli.id);
    assert.equal(await jobs.find(cli.id), undefined);
  } finally {
    await database.drop();
  }
});
