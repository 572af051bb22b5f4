/**
 * Backups as the README's "Operating Fhirkeep" describes them: `pg_dump -Fc` of a
 * FHIRKEEP_DATABASE_URL database restored with `pg_restore` into an empty one, and a cold copy of
 * the embedded data directory. Either way the restored server serves the same records, and the
 * credentials issued before the backup still work there (the signing keys travel in the database;
 * the key-encryption key is the operator's to keep).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import postgres from 'postgres';
import type { KeyActor } from '../src/auth/keys/key-service.js';
import { parseConfig } from '../src/config/load.js';
import { createFhirkeep, type Fhirkeep } from '../src/server.js';
import { freePort } from '../src/storage/cluster/free-port.js';
import { backendToken } from './support/bulk-export.js';
import { createEmptyDatabase } from './support/database.js';
import { startNode, startTestServer, TEST_NODE_SETTINGS } from './support/fhirkeep-server.js';

const run = promisify(execFile);
const OPERATOR: KeyActor = { accountId: undefined, admin: true };
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** What a backup must carry: a record, a service with a secret, a token issued for it, a static key. */
async function seed(fhirkeep: Fhirkeep, baseUrl: string) {
  const created = await fetch(`${baseUrl}/fhir/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${await writerToken(fhirkeep, baseUrl)}` },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Backed-Up' }] }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const patientId = ((await created.json()) as { id: string }).id;
  const service = await fhirkeep.auth.clients.register({ type: 'service', name: 'Nightly sync', scopes: ['system/*.rs'] });
  await fhirkeep.auth.accessFilters.setAccessFilter(service.client.id, { filter: null, reach: 'all' });
  const secret = service.secret ?? '';
  const token = await backendToken(baseUrl, service.client.id, oidc.ClientSecretPost(secret), 'system/Patient.rs');
  const key = (await fhirkeep.auth.serviceKeys.create(service.client.id, { type: 'static' }, OPERATOR)).secret ?? '';
  return { patientId, clientId: service.client.id, secret, token, key };
}

/** A writer for the seed: a backend service of its own that may create records. */
async function writerToken(fhirkeep: Fhirkeep, baseUrl: string): Promise<string> {
  const writer = await fhirkeep.auth.clients.register({ type: 'service', name: 'Loader', scopes: ['system/*.cruds'] });
  await fhirkeep.auth.accessFilters.setAccessFilter(writer.client.id, { filter: null, reach: 'all', writeMode: 'any' });
  return backendToken(baseUrl, writer.client.id, oidc.ClientSecretPost(writer.secret ?? ''), 'system/Patient.cruds');
}

/** The restored server answers as the old one: the record, the old token, the key and the secret. */
async function assertServes(baseUrl: string, seeded: Awaited<ReturnType<typeof seed>>): Promise<void> {
  const read = (credential: string) => fetch(`${baseUrl}/fhir/Patient/${seeded.patientId}`, { headers: { authorization: `Bearer ${credential}` } });
  const byToken = await read(seeded.token);
  assert.equal(byToken.status, 200, `the token issued before the backup verifies: ${await byToken.clone().text()}`);
  assert.equal(((await byToken.json()) as { name: { family: string }[] }).name[0]?.family, 'Backed-Up');
  assert.equal((await read(seeded.key)).status, 200, 'the static key works');
  const fresh = await backendToken(baseUrl, seeded.clientId, oidc.ClientSecretPost(seeded.secret), 'system/Patient.rs');
  assert.equal((await read(fresh)).status, 200, 'the client secret gets new tokens');
}

/** The newest pg_dump/pg_restore pair on this machine, or why there is none fit for `serverMajor`. */
async function dumpTools(serverMajor: number): Promise<{ pgDump: string; pgRestore: string } | string> {
  const candidates = ['/usr/bin', ...['18', '17', '16', '15', '14'].map((m) => `/usr/lib/postgresql/${m}/bin`)];
  for (const dir of candidates) {
    const pgDump = join(dir, 'pg_dump');
    if (!existsSync(pgDump) || !existsSync(join(dir, 'pg_restore'))) continue;
    const { stdout } = await run(pgDump, ['--version']);
    const major = Number(/(\d+)/.exec(stdout)?.[1]);
    // pg_dump refuses a server newer than itself.
    if (major >= serverMajor) return { pgDump, pgRestore: join(dir, 'pg_restore') };
  }
  return `no pg_dump of PostgreSQL ${serverMajor} or newer here (the embedded engine is newer than Debian's client tools)`;
}

async function serverMajor(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ server_version_num: string }[]>`show server_version_num`;
    return Math.floor(Number(row?.server_version_num) / 10000);
  } finally {
    await sql.end();
  }
}

test('pg_dump -Fc and pg_restore into an empty database: the restored server serves the same records and credentials', async (t) => {
  const tools = await dumpTools(await serverMajor(process.env.FHIRKEEP_TEST_DATABASE_URL ?? ''));
  if (typeof tools === 'string') {
    t.skip(tools);
    return;
  }
  // The restored server takes the old one's address: tokens name it as their audience.
  const port = String(await freePort());
  const server = await startTestServer({ FHIRKEEP_PORT: port });
  let serverClosed = false;
  cleanups.push(() => (serverClosed ? undefined : server.close()));
  const seeded = await seed(server.fhirkeep, server.baseUrl);
  const work = mkdtempSync(join(tmpdir(), 'fhirkeep-backup-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const dump = join(work, 'fhirkeep.dump');
  // While the server runs: pg_dump reads one consistent snapshot.
  await run(tools.pgDump, ['--format=custom', '--no-owner', `--file=${dump}`, `--dbname=${server.databaseUrl}`]);
  await server.close();
  serverClosed = true;

  const restored = await createEmptyDatabase();
  cleanups.push(() => restored.drop());
  await run(tools.pgRestore, ['--no-owner', '--exit-on-error', `--dbname=${restored.url}`, dump]);
  const node = await startNode(restored.url, { FHIRKEEP_PORT: port });
  cleanups.push(() => node.close());
  await assertServes(node.baseUrl, seeded);
});

test('a cold copy of the embedded data directory starts as the same server', async () => {
  const work = mkdtempSync(join(tmpdir(), 'fhirkeep-cold-copy-'));
  // Run as root, the cluster runs as the postgres user, who must reach the data directory.
  chmodSync(work, 0o755);
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const port = String(await freePort());
  const start = async (dataDir: string) => {
    const fhirkeep = await createFhirkeep(parseConfig({ FHIRKEEP_PORT: port, FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_DEMO: '0', ...TEST_NODE_SETTINGS }), {
      logger: pino({ level: 'silent' }),
    });
    return { fhirkeep, baseUrl: await fhirkeep.listen() };
  };
  const original = await start(join(work, 'live'));
  let seeded: Awaited<ReturnType<typeof seed>>;
  try {
    seeded = await seed(original.fhirkeep, original.baseUrl);
  } finally {
    // Stopped first: a copy of a running cluster's files is not a backup (a filesystem snapshot taken atomically is).
    await original.fhirkeep.close();
  }
  // -a, as an operator copies it: the cluster's files keep their owner (the postgres user, when run as root) and modes.
  await run('cp', ['-a', join(work, 'live'), join(work, 'copy')]);
  const copy = await start(join(work, 'copy'));
  try {
    await assertServes(copy.baseUrl, seeded);
  } finally {
    await copy.fhirkeep.close();
  }
});
