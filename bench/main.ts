/**
 * `npm run bench [-- --quick]`: measures, in one run, the baselines (a bare Fastify route
 * returning stored JSON; a bare Fastify route doing one primary-key SQL read through the same
 * pool library) and Fhirkeep's workloads, each server in its own process, load from autocannon
 * here; then start-up time and idle memory. Everything runs as a user runs it: Fhirkeep on
 * its default embedded PostgreSQL, the SQL baseline on the same cluster through its Unix socket.
 * Prints one table and writes bench/results/*.json.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadDataset, loadTransactionBundles } from './dataset.js';
import { ingest } from './ingest.js';
import { runLoad, type LoadResult, type LoadSpec } from './load.js';
import { killAllChildren, rssMb, startChild } from './processes.js';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 5 : 15;
const WARMUP = quick ? 1 : 3;
const CONNECTIONS = 16;
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'fhirkeep.js');
const baselineServer = join(root, 'bench', 'baselines', 'server.ts');

interface Row extends LoadResult {
  readonly name: string;
  readonly unit: string;
}

async function main(): Promise<void> {
  const dataset = loadDataset(quick ? 10 : 100);
  console.log(`data: ${dataset.source}; ${CONNECTIONS} connections, ${SECONDS} s per workload${quick ? ' (--quick)' : ''}`);
  const work = mkdtempSync(join(tmpdir(), 'fhirkeep-bench-'));
  // The embedded cluster runs as an unprivileged user when we are root: it must reach the directory.
  chmodSync(work, 0o755);
  // Fhirkeep as a user runs it: the default embedded PostgreSQL under a data directory.
  const env = { FHIRKEEP_DATA_DIR: work, FHIRKEEP_PORT: '0', FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_LOG_LEVEL: 'warn' };
  const rows: Row[] = [];
  const extra: Record<string, number> = {};
  try {
    const fhirkeep = await startChild([bin, '--json', 'serve'], env);
    extra.firstStartMs = fhirkeep.startMs;
    try {
      // The baselines reach the same cluster the same way: its Unix socket, a postgres.js pool.
      const connection = JSON.stringify({
        host: join(work, 'run'),
        port: 5432,
        user: 'fhirkeep',
        password: readFileSync(join(work, 'pg-password'), 'utf8').trim(),
        database: 'fhirkeep',
      });
      await prepareBaselineTable(connection, dataset.resources.map((r) => r.body));
      rows.push(await baseline('baseline: Fastify + stored JSON', ['--import', 'tsx', baselineServer, 'json']));
      rows.push(await baseline('baseline: Fastify + 1 SQL PK read', ['--import', 'tsx', baselineServer, 'sql', connection]));
      rows.push(...(await fhirkeepWorkloads(String(fhirkeep.ready.baseUrl), dataset.resources)));
      const bundles = loadTransactionBundles(quick ? 20 : 100);
      rows.push({ name: `ingest: ${bundles.length} transaction bundles, 4 at once`, unit: 'res/s', ...(await ingest(`${String(fhirkeep.ready.baseUrl)}/fhir`, bundles, 4)) });
      await sleep(2000);
      extra.idleRssMb = rssMb(fhirkeep.process.pid ?? 0);
    } finally {
      await fhirkeep.stop();
    }
    const again = await startChild([bin, '--json', 'serve'], env);
    extra.readyExistingMs = again.startMs;
    await sleep(1000);
    extra.idleRssFreshMb = rssMb(again.process.pid ?? 0);
    await again.stop();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  report(rows, extra, dataset.source);
}

async function baseline(name: string, args: string[]): Promise<Row> {
  const server = await startChild(args);
  try {
    const spec = (seconds: number): LoadSpec => ({
      url: `http://127.0.0.1:${String(server.ready.port)}`,
      seconds,
      connections: CONNECTIONS,
      next: () => ({ method: 'GET', path: `/baseline/${Math.floor(Math.random() * 1e6)}` }),
    });
    await runLoad(spec(WARMUP));
    return { name, unit: 'req/s', ...(await runLoad(spec(SECONDS))) };
  } finally {
    await server.stop();
  }
}

interface Stored {
  readonly type: string;
  readonly id: string;
  readonly json: string;
}

async function fhirkeepWorkloads(baseUrl: string, resources: readonly { type: string; body: string }[]): Promise<Row[]> {
  const rows: Row[] = [];
  const run = async (name: string, unit: string, next: LoadSpec['next'], warm = true): Promise<void> => {
    const spec = (seconds: number): LoadSpec => ({ url: baseUrl, seconds, connections: CONNECTIONS, next });
    if (warm) await runLoad(spec(WARMUP));
    rows.push({ name, unit, ...(await runLoad(spec(SECONDS))) });
  };
  let i = 0;
  await run('create (validate + store + history)', 'res/s', () => {
    const r = resources[i++ % resources.length] as { type: string; body: string };
    return { method: 'POST', path: `/fhir/${r.type}`, body: r.body };
  });
  const stored = await collect(baseUrl, 5000);
  const pick = (): Stored => stored[Math.floor(Math.random() * stored.length)] as Stored;
  await run('read by id', 'req/s', () => {
    const s = pick();
    return { method: 'GET', path: `/fhir/${s.type}/${s.id}` };
  });
  await run('vread', 'req/s', () => {
    const s = pick();
    return { method: 'GET', path: `/fhir/${s.type}/${s.id}/_history/1` };
  });
  await run('update (PUT)', 'req/s', () => {
    const s = pick();
    return { method: 'PUT', path: `/fhir/${s.type}/${s.id}`, body: s.json };
  });
  await run('history: instance', 'req/s', () => {
    const s = pick();
    return { method: 'GET', path: `/fhir/${s.type}/${s.id}/_history` };
  });
  await run('history: type, page of 20', 'req/s', () => ({ method: 'GET', path: '/fhir/Observation/_history?_count=20' }));
  return rows;
}

/** Ids and bodies of resources the create workload made, read back through the history API. */
async function collect(baseUrl: string, max: number): Promise<Stored[]> {
  const out: Stored[] = [];
  let next: string | undefined = `${baseUrl}/fhir/_history?_count=1000`;
  while (next !== undefined && out.length < max) {
    const page = (await (await fetch(next)).json()) as {
      entry?: { resource?: { resourceType: string; id: string } }[];
      link?: { relation: string; url: string }[];
    };
    for (const e of page.entry ?? []) {
      if (e.resource !== undefined) out.push({ type: e.resource.resourceType, id: e.resource.id, json: JSON.stringify(e.resource) });
    }
    next = page.link?.find((l) => l.relation === 'next')?.url;
  }
  if (out.length === 0) throw new Error('The create workload stored nothing');
  return out;
}

async function prepareBaselineTable(connection: string, bodies: readonly string[]): Promise<void> {
  const sql = postgres({ ...(JSON.parse(connection) as postgres.Options<Record<string, never>>), max: 1, onnotice: () => {} });
  try {
    await sql`create table baseline_resources (id text primary key, content text not null)`;
    const rows = bodies.slice(0, 10000).map((content, i) => ({ id: String(i), content }));
    for (let k = 0; k < rows.length; k += 1000) await sql`insert into baseline_resources ${sql(rows.slice(k, k + 1000))}`;
    // Done now, so autovacuum does not wake up for this table in the middle of a workload.
    await sql`vacuum analyze baseline_resources`;
  } finally {
    await sql.end();
  }
}

function report(rows: Row[], extra: Record<string, number>, source: string): void {
  const sqlBase = rows.find((r) => r.name.includes('SQL'))?.opsPerSec ?? Number.NaN;
  const jsonBase = rows.find((r) => r.name.includes('stored JSON'))?.opsPerSec ?? Number.NaN;
  const header = ['workload', 'ops/s', 'unit', 'p50 ms', 'p99 ms', 'errors', '÷ SQL base', '÷ JSON base'];
  const table = rows.map((r) => [
    r.name,
    r.opsPerSec.toFixed(0),
    r.unit,
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    r.errors === 0 ? '0' : `${r.errors} !`,
    (r.opsPerSec / sqlBase).toFixed(2),
    (r.opsPerSec / jsonBase).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const t of table) console.log(line(t));

  const read = rows.find((r) => r.name === 'read by id');
  const create = rows.find((r) => r.name.startsWith('create'));
  const goals = [
    ['read by id ≥ 60% of the SQL baseline', `${(((read?.opsPerSec ?? 0) / sqlBase) * 100).toFixed(0)}%`, (read?.opsPerSec ?? 0) / sqlBase >= 0.6],
    ['create ≥ 2,000 resources/s at 16 clients', `${(create?.opsPerSec ?? 0).toFixed(0)}/s`, (create?.opsPerSec ?? 0) >= 2000],
    ['ready ≤ 2 s on an existing data directory', `${((extra.readyExistingMs ?? 0) / 1000).toFixed(2)} s`, (extra.readyExistingMs ?? Infinity) <= 2000],
    ['RSS ≤ 250 MB idle (after the load)', `${(extra.idleRssMb ?? 0).toFixed(0)} MB`, (extra.idleRssMb ?? Infinity) <= 250],
  ] as const;
  console.log('\ngoals (foundation issue):');
  for (const [goal, value, met] of goals) console.log(`  ${met ? 'met   ' : 'MISSED'}  ${goal}: ${value}`);
  console.log(
    `\nfirst start on an empty data directory (creates the cluster): ${((extra.firstStartMs ?? 0) / 1000).toFixed(2)} s; idle RSS of a fresh server: ${(extra.idleRssFreshMb ?? 0).toFixed(0)} MB`,
  );
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ quick, source, connections: CONNECTIONS, seconds: SECONDS, rows, extra }, null, 2)}\n`);
  console.log(`results: ${file}`);
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});
main().catch((e: unknown) => {
  killAllChildren();
  console.error(e);
  process.exit(1);
});
