import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { embeddedBinaries } from './binaries.js';
import { openLocalCluster, type LocalCluster, type OpenClusterOptions } from './local-cluster.js';

let dataDir: string;
let options: OpenClusterOptions;
let owner: LocalCluster;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-cluster-'));
  chmodSync(dataDir, 0o755);
  options = { dataDir, binaries: await embeddedBinaries(), mode: 'own', log: () => {} };
  owner = await openLocalCluster(options);
});
after(async () => {
  writeFileSync(join(dataDir, 'fhirkeep.pid'), `${process.pid}\n`);
  await owner.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function answers(cluster: LocalCluster): Promise<boolean> {
  const sql = postgres({ ...cluster.connection, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select 1 as one`;
    return row?.one === 1;
  } finally {
    await sql.end();
  }
}

/** A live Node process standing in for another Fhirkeep that owns the directory. */
function otherNodeProcess() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return { pid: child.pid ?? 0, stop: () => child.kill('SIGKILL') };
}

test('it listens on its Unix socket only and needs the generated password', async () => {
  assert.ok(await answers(owner));
  assert.equal(owner.connection.host, join(dataDir, 'run'));
  const wrong = postgres({ ...owner.connection, password: 'guess', database: 'postgres', max: 1, onnotice: () => {} });
  await assert.rejects(wrong`select 1`, /password authentication failed/);
  await wrong.end();
});

test('while another live process owns the directory: serve refuses, the CLI shares', async () => {
  const other = otherNodeProcess();
  try {
    writeFileSync(join(dataDir, 'fhirkeep.pid'), `${other.pid}\n`);
    await assert.rejects(openLocalCluster(options), /in use by Fhirkeep process/);
    const shared = await openLocalCluster({ ...options, mode: 'share' });
    assert.equal(shared.owned, false);
    assert.ok(await answers(shared));
    await shared.stop();
    assert.ok(await answers(owner), 'letting go of a shared cluster does not stop it');
  } finally {
    other.stop();
  }
});

test('a dead owner (kill -9) leaves a running postmaster that the next start adopts', async () => {
  writeFileSync(join(dataDir, 'fhirkeep.pid'), '2147483646\n');
  const adopted = await openLocalCluster(options);
  assert.equal(adopted.owned, true);
  assert.ok(await answers(adopted));
});
