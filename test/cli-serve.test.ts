import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './support/cli.js';
import { startServe as startServeProcess, type ServeProcess } from './support/serve-process.js';
import { MIGRATIONS } from '../src/storage/migrations/index.js';

/** The newest schema version (versions need not be dense: a branch may skip one). */
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * The real `fhirkeep` binary on the embedded default: what `npm start` does for a newcomer.
 * These drive the built CLI (dist/), so `npm install` (which builds) must have run.
 */
let dataDir: string;

before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-cli-'));
  // The embedded cluster runs as an unprivileged user when we are root; it must reach the directory.
  chmodSync(dataDir, 0o755);
});
after(() => {
  // Never leave a cluster behind, even when an assertion failed half way.
  const pid = postmasterPid();
  if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGQUIT');
  rmSync(dataDir, { recursive: true, force: true });
});

/** serve on the test's data directory, without authentication (the demo's requests need none). */
function startServe(env: Record<string, string> = {}, dir = dataDir): Promise<ServeProcess> {
  return startServeProcess({ FHIRKEEP_DATA_DIR: dir, FHIRKEEP_PORT: '0', FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_LOG_LEVEL: 'warn', ...env });
}

function postmasterPid(): number | undefined {
  try {
    return Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** Running, not a zombie waiting for whichever process adopted it to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

test('serve runs on the embedded database, keeps data across restarts and stops its cluster on SIGTERM', async () => {
  const first = await startServe();
  assert.equal((await fetch(`${first.baseUrl}/readyz`)).status, 200);
  // The first start loads the demo, and its printed key reads its one subscriber's records at once.
  assert.deepEqual(first.printed.demo?.patients, ['demo-alice', 'demo-bob', 'demo-carol']);
  const demoRead = await fetch(`${first.baseUrl}/fhir/Observation`, { headers: { authorization: `Bearer ${first.printed.demo?.service.apiKey ?? ''}` } });
  assert.equal(((await demoRead.json()) as { entry?: unknown[] }).entry?.length, 3, "Alice's three observations");
  const created = await fetch(`${first.baseUrl}/fhir/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', gender: 'female' }),
  });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  const pgPid = postmasterPid();
  assert.ok(pgPid !== undefined && alive(pgPid), 'the embedded postmaster runs');

  first.child.kill('SIGTERM');
  assert.equal((await first.exited).code, 0);
  assert.ok(!alive(pgPid), 'SIGTERM stops the embedded postmaster too');

  const started = Date.now();
  const second = await startServe();
  const readyMs = Date.now() - started;
  assert.equal(second.printed.demo, undefined, 'a restart loads and prints no demo');
  assert.equal((await fetch(`${second.baseUrl}/fhir/Patient/${id}`)).status, 200, 'data survives a restart');
  assert.ok(readyMs < 10_000, `ready in ${readyMs} ms`);

  // A crash (kill -9) leaves the postmaster and its pid file behind; the next start must recover.
  second.child.kill('SIGKILL');
  await second.exited;
  const third = await startServe();
  assert.equal((await fetch(`${third.baseUrl}/fhir/Patient/${id}`)).status, 200, 'recovered after kill -9');
  third.child.kill('SIGINT');
  assert.equal((await third.exited).code, 0);
});

test('FHIRKEEP_DEMO=0 starts a fresh data directory without the demo', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fhirkeep-cli-nodemo-'));
  chmodSync(dir, 0o755);
  try {
    const server = await startServe({ FHIRKEEP_DEMO: '0' }, dir);
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
    assert.equal(server.printed.demo, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migrate beside a running server uses its cluster and leaves it running', async () => {
  const server = await startServe();
  try {
    const migrated = await runCli(['--json', 'migrate'], { FHIRKEEP_DATA_DIR: dataDir });
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.deepEqual(JSON.parse(migrated.stdout), { applied: [], current: LATEST, database: `embedded PostgreSQL in ${dataDir}` });
    assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 200, 'the server still has its database');
    const second = await runCli(['serve'], { FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_PORT: '0' });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /in use by Fhirkeep process/);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  const alone = await runCli(['migrate'], { FHIRKEEP_DATA_DIR: dataDir });
  assert.equal(alone.code, 0, alone.stderr);
  assert.match(alone.stdout, new RegExp(`Schema is current \\(version ${LATEST}\\)`));
  assert.equal(postmasterPid() !== undefined && alive(postmasterPid() ?? 0), false, 'migrate stops the cluster it started');
});

test('an invalid setting stops the start with a clear message and exit code 1', async () => {
  const { code, stderr } = await runCli(['serve'], { FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_PORT: 'eighty' });
  assert.equal(code, 1);
  assert.match(stderr, /FHIRKEEP_PORT/);
});
