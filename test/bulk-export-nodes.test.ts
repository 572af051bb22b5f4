import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { freePort } from '../src/storage/cluster/free-port.js';
import { acceptedKickOff, downloadAll, EXPORT_TEST_SETTINGS, jobIdOf, pollUntilDone } from './support/bulk-export.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startNode, type TestNode } from './support/fhirkeep-server.js';
import { institutionToken } from './support/institution.js';
import { lockTable, readersWaiting, until } from './support/table-lock.js';

/**
 * Two nodes on one database, two export workers each, eight exports from four clients kicked off
 * on both: every job runs on exactly one node, once, and both nodes run some.
 *
 * The nodes sit behind one public base URL, as behind a load balancer: a token's audience, so
 * any node takes any client's requests, and the URLs in the manifests.
 */

const PATIENTS = 30;
const OBSERVATIONS = 90;

interface Node {
  readonly name: string;
  readonly node: TestNode;
  /** Where this node listens, under the shared base URL's path. */
  readonly fhirBase: string;
  /** The jobs this node's worker logged as finished. */
  readonly finished: string[];
}

let database: TestDatabase;
let dataDir: string;
let nodes: Node[] = [];

before(async () => {
  database = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-export-nodes-'));
  const ports = [await freePort(), await freePort()];
  nodes = await Promise.all(ports.map((port, i) => startExportNode(`node-${i + 1}`, port, `http://localhost:${ports[0]}`)));
});

after(async () => {
  await Promise.all(nodes.map((n) => n.node.close()));
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startExportNode(name: string, port: number, baseUrl: string): Promise<Node> {
  const finished: string[] = [];
  // Which node ran a job is in its own log: the job's lease owner is cleared when it completes.
  const logger = pino({ level: 'info' }, {
    write(line: string) {
      const entry = JSON.parse(line) as { msg?: string; job?: string };
      if (entry.msg === 'bulk export finished' && entry.job !== undefined) finished.push(entry.job);
    },
  });
  const node = await startNode(
    database.url,
    {
      ...EXPORT_TEST_SETTINGS,
      FHIRKEEP_PORT: String(port),
      FHIRKEEP_BASE_URL: baseUrl,
      FHIRKEEP_DATA_DIR: dataDir,
      FHIRKEEP_EXPORT_WORKERS: '2',
      FHIRKEEP_EXPORT_FILE_LINES: '20',
      FHIRKEEP_EXPORT_MAX_PER_CLIENT: '2',
    },
    { logger },
  );
  return { name, node, fhirBase: `http://localhost:${port}/fhir`, finished };
}

test('eight exports on two nodes with two workers each: each job runs once, on one node, and both nodes run some', async () => {
  const [one, two] = nodes;
  assert.ok(one !== undefined && two !== undefined);
  const seed = await institutionToken(one.node.fhirkeep);
  await seedData(one, seed);
  const clients = await Promise.all([0, 1, 2, 3].map(() => institutionToken(one.node.fhirkeep, 'system/*.rs')));

  // Every export waits at its first read until both nodes hold all the jobs they may run at once.
  const lock = await lockTable(database.db.sql, 'resources');
  let exports: { token: string; statusUrl: string }[];
  try {
    // Each client kicks off one export on each node, all at once; each kick-off nudges its node.
    const kickOffs = clients.flatMap((token, c) =>
      [one, two].map((node, n) => ({ node, token, path: (c + n) % 2 === 0 ? '/$export?_type=Patient,Observation' : '/$export?_type=Observation' })),
    );
    exports = await Promise.all(kickOffs.map(async (k) => ({ token: k.token, statusUrl: await acceptedKickOff(k.node.fhirBase, k.path, k.token) })));
    await until('both nodes run two exports each', async () => (await readersWaiting(database.db.sql, 'resources')) === 4);
    const running = await database.db.sql<{ lease_owner: string; n: number }[]>`
      select lease_owner, count(*)::int as n from export_jobs where status = 'running' group by lease_owner`;
    assert.deepEqual(running.map((r) => r.n), [2, 2], 'two owners, two jobs each: the limit of each node');
    const queued = await database.db.sql`select 1 from export_jobs where status = 'queued'`;
    assert.equal(queued.length, 4, 'the other four wait for a free worker');
  } finally {
    await lock.release();
  }

  // Any node answers any job's status: every other one is asked of node 2.
  const manifests = await Promise.all(exports.map(async (e, i) => (await pollUntilDone(i % 2 === 0 ? e.statusUrl : onNode(e.statusUrl, two), e.token)).manifest));
  const jobIds = exports.map((e) => jobIdOf(e.statusUrl));
  const jobs = await database.db.sql<{ id: string; status: string; attempts: number }[]>`select id, status, attempts from export_jobs order by id`;
  assert.deepEqual(jobs.map((j) => [j.id, j.status, j.attempts]), [...jobIds].sort().map((id) => [id, 'completed', 1]), 'each job claimed once');

  // The worker logs a job as finished just after its completion is committed.
  await until('the nodes log the last completion', () => one.finished.length + two.finished.length >= jobIds.length);
  for (const node of nodes) assert.ok(node.finished.length > 0, `${node.name} finished some`);
  assert.deepEqual([...one.finished, ...two.finished].sort(), [...jobIds].sort(), 'every job finished, on one node only');

  const expected = await database.db.sql<{ type: string; key: string }[]>`
    select type, type || '/' || id as key from resources where type in ('Patient', 'Observation') order by 2`;
  for (const [i, manifest] of manifests.entries()) {
    const token = exports[i]?.token ?? '';
    // Any node serves any job's files (a shared data directory): half are fetched from node 2.
    const { resources: exported } = await downloadAll(i % 2 === 0 ? manifest : { ...manifest, output: manifest.output.map((f) => ({ ...f, url: onNode(f.url, two) })) }, token);
    const types = new URL(manifest.request).searchParams.get('_type')?.split(',') ?? [];
    assert.deepEqual([...exported.keys()].sort(), expected.filter((r) => types.includes(r.type)).map((r) => r.key), `${manifest.request}: all of it, once`);
  }
});

/** Creates the Patients and their Observations the exports read, in two transactions. */
async function seedData(node: Node, token: string): Promise<void> {
  const transaction = async (resources: readonly Record<string, unknown>[]): Promise<string[]> => {
    const res = await fetch(node.fhirBase, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: resources.map((r) => ({ resource: r, request: { method: 'POST', url: r.resourceType } })) }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return (JSON.parse(text) as { entry: { response: { location: string } }[] }).entry.map((e) => e.response.location.split('/_history/')[0] ?? '');
  };
  const patients = await transaction(Array.from({ length: PATIENTS }, () => ({ resourceType: 'Patient', gender: 'other' })));
  await transaction(
    Array.from({ length: OBSERVATIONS }, (_, i) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'heart rate' },
      subject: { reference: patients[i % PATIENTS] },
      valueQuantity: { value: 60 + i },
    })),
  );
}

/** A URL of the shared base URL, on a given node's listener. */
function onNode(url: string, node: Node): string {
  return `${new URL(node.fhirBase).origin}${new URL(url).pathname}`;
}
