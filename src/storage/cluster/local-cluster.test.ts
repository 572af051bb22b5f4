import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { startClusterOwner } from '../../../test/support/cluster-owner.js';
import { embeddedBinaries } from './binaries.js';
import { freePort } from './free-port.js';
import { openLocalCluster, type ClusterConnection, type LocalCluster, type OpenClusterOptions } from './local-cluster.js';
import { isRunning, readPostmasterPid } from './postmaster.js';

let dataDir: string;
let pgDir: string;
let options: OpenClusterOptions;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-cluster-'));
  chmodSync(dataDir, 0o755);
  pgDir = join(dataDir, 'pg');
  options = { dataDir, binaries: await embeddedBinaries(), mode: 'own', log: () => {} };
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

async function query<T>(connection: ClusterConnection, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres({ ...connection, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

async function answers(cluster: LocalCluster): Promise<boolean> {
  const [row] = await query(cluster.connection, (sql) => sql`select 1 as one`);
  return row?.one === 1;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, Math.round(performance.now() - start)];
}

test('the first start initialises the cluster; stop shuts the postmaster down and lets go of the directory', async (t) => {
  // What a crash during an earlier first start leaves: a half-made scratch cluster.
  mkdirSync(join(dataDir, 'pg.initdb'));
  writeFileSync(join(dataDir, 'pg.initdb', 'PG_VERSION'), '18\n');
  const [cluster, ms] = await timed(() => openLocalCluster(options));
  t.diagnostic(`initialise + start: ${ms} ms`);
  assert.equal(cluster.owned, true);
  assert.ok(existsSync(join(pgDir, 'PG_VERSION')));
  assert.equal(existsSync(join(dataDir, 'pg.initdb')), false);
  assert.equal(statSync(join(dataDir, 'pg-password')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dataDir, 'fhirkeep.pid'), 'utf8'), `${process.pid}\n`);
  assert.ok(await answers(cluster));
  const postmaster = readPostmasterPid(pgDir);
  assert.ok(postmaster !== undefined && isRunning(postmaster.pid));
  await cluster.stop();
  assert.equal(isRunning(postmaster.pid), false);
  assert.equal(existsSync(join(pgDir, 'postmaster.pid')), false);
  assert.equal(existsSync(join(dataDir, 'fhirkeep.pid')), false);
});

test('it listens on its Unix socket only and needs the generated password', async () => {
  const cluster = await openLocalCluster(options);
  try {
    assert.equal(cluster.connection.host, join(dataDir, 'run'));
    assert.equal(readPostmasterPid(pgDir)?.listenAddress, '', 'no TCP listener');
    await assert.rejects(
      query({ ...cluster.connection, password: 'guess' }, (sql) => sql`select 1`),
      /password authentication failed/,
    );
  } finally {
    await cluster.stop();
  }
});

test('a start on an existing data directory reuses the cluster within the time budget', async (t) => {
  const [cluster, ms] = await timed(() => openLocalCluster(options));
  t.diagnostic(`start on an existing directory: ${ms} ms`);
  try {
    assert.ok(await answers(cluster));
    // Fhirkeep as a whole must be ready within 2 s; the cluster is most of that budget.
    assert.ok(ms < 1500, `took ${ms} ms`);
  } finally {
    await cluster.stop();
  }
});

test('while another live Fhirkeep owns the directory: serve refuses, the CLI connects to its cluster', async () => {
  const owner = await startClusterOwner(dataDir);
  try {
    await assert.rejects(openLocalCluster(options), new RegExp(`in use by Fhirkeep process ${owner.pid}\\b`));
    const shared = await openLocalCluster({ ...options, mode: 'share' });
    assert.equal(shared.owned, false);
    assert.ok(await answers(shared));
    const postmaster = readPostmasterPid(pgDir)?.pid ?? 0;
    await shared.stop();
    assert.ok(isRunning(postmaster), 'letting go of a shared cluster does not stop it');
    assert.equal(readFileSync(join(dataDir, 'fhirkeep.pid'), 'utf8'), `${owner.pid}\n`);
  } finally {
    owner.child.kill('SIGTERM');
    assert.equal(await owner.exited, 0);
  }
  assert.equal(readPostmasterPid(pgDir), undefined, 'the owner stopped its cluster on SIGTERM');
});

test('after a kill -9 of its owner, the next start adopts the postmaster still running', async () => {
  const owner = await startClusterOwner(dataDir);
  const postmaster = readPostmasterPid(pgDir)?.pid;
  owner.child.kill('SIGKILL');
  await owner.exited;
  assert.ok(postmaster !== undefined && isRunning(postmaster));
  const cluster = await openLocalCluster(options);
  try {
    assert.equal(cluster.owned, true);
    assert.equal(readPostmasterPid(pgDir)?.pid, postmaster, 'adopted, not restarted');
    assert.ok(await answers(cluster));
  } finally {
    await cluster.stop();
  }
  assert.equal(isRunning(postmaster), false, 'the adopter stops it like its own');
});

test('an orphaned postmaster with other settings is restarted, not adopted', async () => {
  const owner = await startClusterOwner(dataDir, await freePort());
  const postmaster = readPostmasterPid(pgDir)?.pid;
  owner.child.kill('SIGKILL');
  await owner.exited;
  const cluster = await openLocalCluster(options);
  try {
    assert.notEqual(readPostmasterPid(pgDir)?.pid, postmaster);
    assert.equal(readPostmasterPid(pgDir)?.listenAddress, '');
    assert.ok(await answers(cluster));
  } finally {
    await cluster.stop();
  }
});

/** Crashes owner and postmaster at once (an OOM kill, a container kill), leaving postmaster.pid behind. */
async function crashWithData(): Promise<number> {
  const owner = await startClusterOwner(dataDir);
  const cluster = await openLocalCluster({ ...options, mode: 'share' });
  await query(cluster.connection, async (sql) => {
    await sql`create table if not exists crash_probe (n int)`;
    await sql`insert into crash_probe values (1)`;
  });
  const postmaster = readPostmasterPid(pgDir)?.pid ?? 0;
  process.kill(postmaster, 'SIGKILL');
  owner.child.kill('SIGKILL');
  await owner.exited;
  while (isRunning(postmaster)) await new Promise((r) => setTimeout(r, 10));
  assert.ok(existsSync(join(pgDir, 'postmaster.pid')), 'a stale postmaster.pid is left behind');
  return postmaster;
}

async function assertRecovered(): Promise<void> {
  const cluster = await openLocalCluster(options);
  try {
    const [row] = await query(cluster.connection, (sql) => sql`select count(*)::int as n from crash_probe`);
    assert.ok((row?.n ?? 0) >= 1, 'committed data survives the crash');
  } finally {
    await cluster.stop();
  }
}

test('after a crash of owner and postmaster, a stale postmaster.pid (dead pid) is removed and the cluster recovers', async () => {
  await crashWithData();
  await assertRecovered();
});

test('a stale postmaster.pid whose pid now belongs to another live process does not block the start', async () => {
  await crashWithData();
  // Pids are recycled (notably in a restarted container): PostgreSQL alone would refuse to start.
  const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    // Both lock files PostgreSQL checks name the dead postmaster's pid, now the stranger's.
    for (const file of [join(pgDir, 'postmaster.pid'), join(dataDir, 'run', '.s.PGSQL.5432.lock')]) {
      const lines = readFileSync(file, 'utf8').split('\n');
      writeFileSync(file, [String(stranger.pid), ...lines.slice(1)].join('\n'));
    }
    await assertRecovered();
  } finally {
    stranger.kill('SIGKILL');
  }
});

test('as root, a data directory the postgres user cannot reach is refused with advice', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const closed = mkdtempSync(join(tmpdir(), 'fhirkeep-closed-'));
  try {
    mkdirSync(join(closed, 'data'));
    await assert.rejects(openLocalCluster({ ...options, dataDir: join(closed, 'data') }), /cannot reach .*mode 0700.*chmod o\+x/s);
    assert.equal(existsSync(join(closed, 'data', 'fhirkeep.pid')), false);
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }
});
