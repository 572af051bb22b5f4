import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import { spawnCli } from './support/cli.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { serveTarget, type ServeTarget } from './support/serve-target.js';
import { until } from './support/table-lock.js';

/**
 * kill -9 of Fhirkeep (docs/crash-safety.md, issue 10): after a restart on the same data
 * directory (embedded PostgreSQL, which a killed `serve` leaves running for the next start to
 * adopt) or the same FHIRKEEP_DATABASE_URL, no acknowledged write is missing, no transaction is
 * there in part, and an interrupted import, run again, loads every bundle exactly once.
 * Exports resuming after a kill -9: test/bulk-export-resume.test.ts.
 */

let target: ServeTarget;
const running = new Set<ServeProcess>();

before(async () => {
  target = await serveTarget();
});
afterEach(async () => {
  for (const serve of running) serve.child.kill('SIGKILL');
  await Promise.all([...running].map((s) => s.exited));
});
after(() => target.remove());

async function start(): Promise<ServeProcess> {
  const serve = await startServe({ ...target.settings, FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_DEMO: '0', FHIRKEEP_EXPORT_WORKERS: '0' });
  running.add(serve);
  void serve.exited.then(() => running.delete(serve));
  return serve;
}

/**
 * kill -9 of `serve`; with `database`, of its embedded postmaster as well (a container or OOM
 * kill), which leaves a stale postmaster.pid and a cluster that must replay its WAL.
 */
async function crash(serve: ServeProcess, database: boolean | undefined = false): Promise<void> {
  const postmaster = target.postmaster();
  serve.child.kill('SIGKILL');
  assert.deepEqual(await serve.exited, { code: null, signal: 'SIGKILL' });
  if (!target.embedded) return;
  assert.ok(postmaster !== undefined && target.postmaster() === postmaster, 'the embedded postmaster outlives its owner');
  if (database) {
    process.kill(postmaster, 'SIGKILL');
    await until('the postmaster is gone', () => target.postmaster() === undefined);
  }
}

/** Starts `serve` again on the same data; on the embedded engine, checks it adopted or recovered the cluster. */
async function restart(databaseKilled: boolean): Promise<ServeProcess> {
  const serve = await start();
  if (target.embedded) {
    const adopted = serve.logs.some((l) => l.msg?.startsWith('adopting the PostgreSQL cluster left running') === true);
    assert.equal(adopted, !databaseKilled, databaseKilled ? 'a new postmaster, after crash recovery' : 'the orphaned postmaster is adopted');
  }
  return serve;
}

async function send(url: string, method: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/fhir+json', prefer: 'return=representation' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, any>) };
}

// ---------------------------------------------------------------- (a) acknowledged writes

interface Ack {
  readonly version: number;
  readonly text: string;
}

/**
 * Writers each creating Patients and updating their own (so each knows its versions), until
 * `serve` dies; `onAck` sees the count of acknowledged writes. Answers every write answered 2xx:
 * `Patient/id` → the version it was given and the name it wrote.
 */
async function writeUntilKilled(serve: ServeProcess, writers: number, onAck: (acks: number) => void): Promise<{ acked: Map<string, Ack>; unanswered: number }> {
  const acked = new Map<string, Ack>();
  let acks = 0;
  let unanswered = 0;
  const writer = async (w: number): Promise<void> => {
    const mine: string[] = [];
    for (let seq = 0; ; seq++) {
      const text = `writer ${w} write ${seq}`;
      const id = seq % 3 === 2 ? mine[seq % mine.length] : undefined;
      const resource = { resourceType: 'Patient', ...(id === undefined ? {} : { id }), name: [{ text }] };
      let answer: Awaited<ReturnType<typeof send>>;
      try {
        answer = id === undefined ? await send(`${serve.baseUrl}/fhir/Patient`, 'POST', resource) : await send(`${serve.baseUrl}/fhir/Patient/${id}`, 'PUT', resource);
      } catch {
        unanswered++; // the process died with this write in flight: it may or may not be there
        return;
      }
      assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.json));
      const written = answer.json as { id: string; meta: { versionId: string } };
      if (id === undefined) mine.push(written.id);
      acked.set(`Patient/${written.id}`, { version: Number(written.meta.versionId), text });
      onAck(++acks);
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  return { acked, unanswered };
}

/** Every acknowledged write is there at its version (as written) or a later one. */
async function assertAcknowledged(serve: ServeProcess, acked: ReadonlyMap<string, Ack>): Promise<void> {
  const keys = [...acked.keys()];
  const check = async (): Promise<void> => {
    for (let key = keys.pop(); key !== undefined; key = keys.pop()) {
      const ack = acked.get(key) as Ack;
      const current = await send(`${serve.baseUrl}/fhir/${key}`, 'GET');
      assert.equal(current.status, 200, `${key} is there`);
      assert.ok(Number(current.json.meta.versionId) >= ack.version, `${key}: version ${current.json.meta.versionId}, acknowledged ${ack.version}`);
      const version = await send(`${serve.baseUrl}/fhir/${key}/_history/${ack.version}`, 'GET');
      assert.equal(version.status, 200, `${key} version ${ack.version}`);
      assert.equal(version.json.name[0].text, ack.text, `${key} version ${ack.version} as written`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, check));
}

for (const databaseKilled of [false, true]) {
  test(`(a) kill -9 while 12 clients create and update${databaseKilled ? ', the embedded database killed too' : ''}: every acknowledged write is there after the restart`, async (t) => {
    if (databaseKilled && !target.embedded) {
      t.skip('only the embedded database is Fhirkeep’s to lose');
      return;
    }
    const serve = await start();
    let killed: Promise<void> | undefined;
    const { acked, unanswered } = await writeUntilKilled(serve, 12, (acks) => {
      if (acks === 400) killed = crash(serve, databaseKilled);
    });
    await killed;
    t.diagnostic(`${acked.size} resources acknowledged (400+ writes), ${unanswered} writes unanswered when it died`);
    assert.ok(unanswered > 0, 'killed with writes in flight');
    await assertAcknowledged(await restart(databaseKilled), acked);
  });
}

// ---------------------------------------------------------------- (b) one large transaction

const ENTRIES = 3000;
const MARKER = 'urn:fhirkeep-test:crash-marker';

/** A Patient and its Observations in one transaction, every entry with the identifier `marker`. */
function largeTransaction(marker: string): unknown {
  const identifier = [{ system: MARKER, value: marker }];
  const observation = (i: number) => ({
    fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    resource: { resourceType: 'Observation', identifier, status: 'final', code: { text: 'heart rate' }, subject: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' }, valueQuantity: { value: 60 + (i % 40), unit: '/min' } },
    request: { method: 'POST', url: 'Observation' },
  });
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000000', resource: { resourceType: 'Patient', identifier, gender: 'female' }, request: { method: 'POST', url: 'Patient' } },
      ...Array.from({ length: ENTRIES - 1 }, (_, i) => observation(i + 1)),
    ],
  };
}

async function entriesWithMarker(serve: ServeProcess, marker: string): Promise<number> {
  let n = 0;
  for (const type of ['Patient', 'Observation']) {
    const { status, json } = await send(`${serve.baseUrl}/fhir/${type}?identifier=${encodeURIComponent(`${MARKER}|${marker}`)}&_summary=count`, 'GET');
    assert.equal(status, 200);
    n += json.total as number;
  }
  return n;
}

/** True while a Fhirkeep connection is in a transaction that has written (it holds a transaction id) but not committed. */
async function transactionWriting(sql: postgres.Sql): Promise<boolean> {
  // Each node's pools name themselves fhirkeep/<node>/<pool> (src/storage/database-activity.ts).
  const rows = await sql`select 1 from pg_stat_activity where starts_with(application_name, 'fhirkeep/') and datname = current_database() and backend_xid is not null`;
  return rows.length > 0;
}

test(`(b) kill -9 during a transaction of ${ENTRIES} entries, at several points: afterwards all of it or none`, async (t) => {
  let serve = await start();
  // Once to warm the server up, once to time it.
  assert.equal((await send(`${serve.baseUrl}/fhir`, 'POST', largeTransaction('warm-up'))).status, 200);
  const began = Date.now();
  assert.equal((await send(`${serve.baseUrl}/fhir`, 'POST', largeTransaction('whole'))).status, 200);
  const took = Date.now() - began;
  assert.equal(await entriesWithMarker(serve, 'whole'), ENTRIES);
  const sql = target.connect();
  const points: { readonly name: string; readonly reached: () => Promise<unknown>; readonly databaseKilled?: boolean }[] = [
    { name: `${Math.round(took * 0.3)} ms in`, reached: () => sleep(took * 0.3) },
    // The database has rows of it, uncommitted: the moment a partial transaction could show.
    { name: 'while its rows are written', reached: () => until('the transaction writes', () => transactionWriting(sql), 30_000) },
    // On the embedded engine the database dies with it and must recover from its WAL.
    { name: 'while its rows are written, the database killed too', reached: () => until('the transaction writes', () => transactionWriting(sql), 30_000), databaseKilled: target.embedded },
    { name: `${Math.round(took * 0.9)} ms in`, reached: () => sleep(took * 0.9) },
  ];
  const outcomes: string[] = [];
  try {
    for (const point of points) {
      const marker = point.name;
      const answer = send(`${serve.baseUrl}/fhir`, 'POST', largeTransaction(marker)).then(
        ({ status }) => status,
        () => undefined,
      );
      await point.reached();
      await crash(serve, point.databaseKilled);
      const acknowledged = (await answer) === 200;
      serve = await restart(point.databaseKilled === true);
      const found = await entriesWithMarker(serve, marker);
      assert.ok(found === 0 || found === ENTRIES, `${point.name}: ${found} of the ${ENTRIES} entries`);
      if (acknowledged) assert.equal(found, ENTRIES, 'an acknowledged transaction is there whole');
      outcomes.push(`${point.name}: ${found === 0 ? 'none' : 'all'}${acknowledged ? ' (acknowledged)' : ''}`);
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
  t.diagnostic(`the transaction takes ${took} ms; killed ${outcomes.join('; ')}`);
});

// ---------------------------------------------------------------- (c) import

const BUNDLES = 240;
const OBSERVATIONS = 15;
const IMPORT_MARKER = 'urn:fhirkeep-test:import-bundle';

/** Synthea-like transaction bundles (POSTs with urn:uuid references), every entry marked with its bundle's number. */
function writeBundles(dir: string): void {
  for (let b = 0; b < BUNDLES; b++) {
    const identifier = [{ system: IMPORT_MARKER, value: `b${b}` }];
    const patientUrl = `urn:uuid:${String(b).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: patientUrl, resource: { resourceType: 'Patient', identifier, gender: b % 2 === 0 ? 'female' : 'male' }, request: { method: 'POST', url: 'Patient' } },
        ...Array.from({ length: OBSERVATIONS }, (_, o) => ({
          fullUrl: `urn:uuid:${String(b).padStart(8, '0')}-0000-4000-8000-${String(o + 1).padStart(12, '0')}`,
          resource: { resourceType: 'Observation', identifier, status: 'final', code: { text: 'weight' }, subject: { reference: patientUrl }, valueQuantity: { value: 50 + o, unit: 'kg' } },
          request: { method: 'POST', url: 'Observation' },
        })),
      ],
    };
    writeFileSync(join(dir, `bundle-${String(b).padStart(4, '0')}.json`), JSON.stringify(bundle));
  }
}

/** How many resources of each bundle are there, by its marker, read over the FHIR API page by page. */
async function entriesPerBundle(serve: ServeProcess): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const type of ['Patient', 'Observation']) {
    let next: string | undefined = `${serve.baseUrl}/fhir/${type}?identifier=${encodeURIComponent(`${IMPORT_MARKER}|`)}&_elements=identifier&_count=1000`;
    while (next !== undefined) {
      const { status, json }: { status: number; json: Record<string, any> } = await send(next, 'GET');
      assert.equal(status, 200);
      for (const e of json.entry ?? []) {
        const value = (e.resource.identifier as { system: string; value: string }[]).find((i) => i.system === IMPORT_MARKER)?.value ?? '';
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }
      next = (json.link as { relation: string; url: string }[]).find((l) => l.relation === 'next')?.url;
    }
  }
  return counts;
}

function assertWholeBundles(counts: ReadonlyMap<string, number>): void {
  const partial = [...counts].filter(([, n]) => n !== OBSERVATIONS + 1);
  assert.deepEqual(partial, [], 'every bundle there is there whole, and once');
}

async function patientsIn(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from resources where type = 'Patient'`;
  return row?.n ?? 0;
}

interface ImportSummary {
  readonly skipped: number;
  readonly resources: number;
  readonly failures: unknown[];
}

test(`(c) kill -9 of an import, then of the server while it runs again: each of ${BUNDLES} bundles exactly once, never in part`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fhirkeep-crash-import-'));
  writeBundles(dir);
  const importSettings = { ...target.settings, FHIRKEEP_LOG_LEVEL: 'warn' };
  const runImport = () => spawnCli(['--json', 'import', '--parallel', '2', dir], importSettings);
  let sql: postgres.Sql | undefined;
  const database = async (): Promise<postgres.Sql> => {
    // The embedded cluster answers once the import (or serve) has started it.
    if (sql === undefined) await until('the database runs', () => !target.embedded || target.postmaster() !== undefined);
    sql ??= target.connect();
    return sql;
  };
  try {
    // The import alone (on the embedded engine it runs the cluster itself), killed part way.
    const first = runImport();
    // Earlier tests' Patients share the embedded cluster's database.
    const before = await patientsIn(await database());
    await until('a third of the bundles are in', async () => (await patientsIn(await database())) >= before + BUNDLES / 3, 60_000);
    first.child.kill('SIGKILL');
    await first.result;

    let serve = await restart(false);
    const afterCrash = await entriesPerBundle(serve);
    assertWholeBundles(afterCrash);
    assert.ok(afterCrash.size < BUNDLES, `killed part way (${afterCrash.size} bundles in)`);

    // Again, beside the server (on the embedded engine, through the cluster it runs), which dies meanwhile.
    const second = runImport();
    await until('the rerun writes', async () => (await patientsIn(await database())) >= before + afterCrash.size + 20, 60_000);
    await crash(serve);
    const rerun = await second.result;
    assert.equal(rerun.code, 0, rerun.stderr);
    const summary = JSON.parse(rerun.stdout) as ImportSummary;
    assert.deepEqual(summary.failures, []);
    assert.ok(summary.skipped >= afterCrash.size, `${summary.skipped} bundles skipped as imported before, ${afterCrash.size} were in`);
    t.diagnostic(`first run killed after ${afterCrash.size} bundles; the rerun skipped ${summary.skipped}`);

    // The import state lost too (the window between a commit and its record): the commit markers tell.
    await sql?.end({ timeout: 1 });
    sql = undefined;
    rmSync(join(target.dataDir, 'import-state.json'));
    const third = await runImport().result;
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(
      (({ skipped, resources }) => ({ skipped, resources }))(JSON.parse(third.stdout) as ImportSummary),
      { skipped: BUNDLES, resources: 0 },
      'every bundle found by its commit marker',
    );

    serve = await start();
    const final = await entriesPerBundle(serve);
    assertWholeBundles(final);
    assert.equal(final.size, BUNDLES, 'every bundle is there');
  } finally {
    await sql?.end({ timeout: 1 });
    rmSync(dir, { recursive: true, force: true });
  }
});
