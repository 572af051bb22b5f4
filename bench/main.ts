/**
 * `npm run bench [-- --quick]` (docs/benchmark.md): Fhirkeep's workloads and the two baselines
 * they are judged against, measured in one run on this machine, each server in its own process,
 * load from autocannon in this one; then start-up time and idle memory. Prints one table and
 * writes it as JSON to bench/results/. `--search` runs the search benchmark instead (bench/search/).
 */
import { measureScopeCompile } from './scope-compile.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { authenticatedReads, registerBenchClients, tokenRows } from './auth-workloads.js';
import { BASELINE_DATABASE, seedBaseline } from './baselines/seed.js';
import { loadDataset, loadTransactionBundles, type Dataset } from './dataset.js';
import { clusterConnection, postmasterPid } from './embedded-cluster.js';
import { describeExportPhase, exportPhase } from './export-workload.js';
import { freshDataDir, startFhirkeep } from './fhirkeep.js';
import { busyShare, childPids, cleanUp, freePort, rssMb, startServer } from './process.js';
import { benchCertificate, mtlsRows } from './mtls-workloads.js';
import { judgeGoals, median, renderTable, type StartupResult } from './report.js';
import { commit, writeResults } from './results.js';
import { DEFAULT_PARALLEL, searchBench } from './search/run.js';
import { baselineRow, fhirkeepRows, ingestRow, JSON_BASELINE, SQL_BASELINE, type Row, type Timing } from './workloads.js';

const USAGE = `usage: npm run bench [-- --quick] [--export-resources N]
       npm run bench -- --search [--quick] [--search-resources N] [--search-parallel N]
  --quick               1 s warm-up + 5 s per workload, one restart (about two minutes); default 5 s + 25 s, three restarts (about nine and a half)
  --export-resources N  the bulk export's size: the database is filled to N with bench-only SQL copies first (default 1,000,000, about a minute; 100,000 with --quick, about 7 s)
  --search              instead: load Synthea clones into a fresh Fhirkeep, then time FHIR searches one at a time
  --search-resources N  how many resources --search loads (default 1,000,000; 100,000 with --quick)
  --search-parallel N   transaction bundles in flight during that load (default ${DEFAULT_PARALLEL})`;

const root = fileURLToPath(new URL('..', import.meta.url));

interface Options {
  readonly quick: boolean;
  readonly exportResources: number;
  readonly search?: { readonly resources: number; readonly parallel: number };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      search: { type: 'boolean', default: false },
      'search-resources': { type: 'string' },
      'search-parallel': { type: 'string' },
      'export-resources': { type: 'string' },
    },
  }).values;
}

/** The options, or the message to print with the usage. */
function options(argv: readonly string[]): Options | string {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (e) {
    return (e as Error).message;
  }
  const count = (name: string, value: string | undefined, fallback: number): number | string => {
    if (value === undefined) return fallback;
    const n = Number(value.replace(/[_,]/g, ''));
    return Number.isSafeInteger(n) && n > 0 ? n : `--${name} takes a positive whole number, not "${value}"`;
  };
  const resources = count('search-resources', values['search-resources'], values.quick ? 100_000 : 1_000_000);
  const parallel = count('search-parallel', values['search-parallel'], DEFAULT_PARALLEL);
  const exportResources = count('export-resources', values['export-resources'], values.quick ? 100_000 : 1_000_000);
  if (typeof resources === 'string') return resources;
  if (typeof parallel === 'string') return parallel;
  if (typeof exportResources === 'string') return exportResources;
  if (!values.search) {
    const stray = (['search-resources', 'search-parallel'] as const).find((o) => values[o] !== undefined);
    return stray === undefined ? { quick: values.quick, exportResources } : `--${stray} needs --search`;
  }
  if (values['export-resources'] !== undefined) return '--export-resources is not for --search';
  return { quick: values.quick, exportResources, search: { resources, parallel } };
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const parsed = options(argv);
  if (typeof parsed === 'string') {
    console.error(`${parsed}\n${USAGE}`);
    return 2;
  }
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    console.error('dist/ is missing: run `npm run build` first (`npm run bench` does).');
    return 1;
  }
  if (parsed.search !== undefined) return searchBench({ quick: parsed.quick, ...parsed.search });
  const { quick, exportResources } = parsed;
  const timing: Timing = { warmupSeconds: quick ? 1 : 5, seconds: quick ? 5 : 25, connections: 16 };
  const restarts = quick ? 1 : 3;
  const startedAt = new Date();
  const busyAtStart = await busyShare(1000);

  const dataset = loadDataset();
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(busyAtStart * 100).toFixed(0)}% busy with other work before the start`;
  console.log(`Fhirkeep benchmark${quick ? ' (--quick)' : ''}, commit ${commit() ?? 'unknown'}, Node ${process.version}`);
  console.log(`data:    ${dataset.source}`);
  console.log(`machine: ${machine}`);
  console.log(`load:    autocannon in this process, ${timing.connections} connections, pipelining 1, ${timing.warmupSeconds} s warm-up + ${timing.seconds} s per workload`);
  console.log(`engine:  Fhirkeep's embedded PostgreSQL (the default) in a fresh data directory; baseline 2 reads database ${BASELINE_DATABASE} in that same cluster over the same Unix socket`);
  if (busyAtStart > 0.1) console.log('warning: other processes keep the machine busy; expect lower, noisier numbers (see "other CPU")');

  const dataDir = freshDataDir();

  const mtlsPort = await freePort();
  const fhirkeep = await startFhirkeep(dataDir, { mtlsPort });
  const firstStartMs = fhirkeep.readyMs;
  const dbPids = (): number[] => childPids(postmasterPid(dataDir) ?? -1);
  const connection = clusterConnection(dataDir);
  await seedBaseline(connection, dataset.resources);

  const rows: Row[] = [];
  rows.push(await measureBaseline(JSON_BASELINE, 'json-server.ts', {}, dataset, timing, () => []));
  const sqlEnv = { BENCH_PG: JSON.stringify({ ...connection, database: BASELINE_DATABASE }) };
  rows.push(await measureBaseline(SQL_BASELINE, 'sql-server.ts', sqlEnv, dataset, timing, dbPids));
  const fhirkeepCpu = { node: fhirkeep.pid, database: dbPids };
  const clients = await registerBenchClients(fhirkeep, dataDir);
  const crud = await fhirkeepRows(fhirkeep, dataset, timing, fhirkeepCpu, authenticatedReads(fhirkeep, clients));
  rows.push(...crud.rows);

  // Idle: the load has stopped and in-flight work (responses, history writes) has settled.
  await sleep(2000);
  fhirkeep.assertRunning();
  const idleRssMb = rssMb(fhirkeep.pid);
  // After the idle measurement too, so the RSS goal stays the one measured after the CRUD load alone.
  const certificate = await benchCertificate(dataDir, clients.secretClient.id);
  rows.push(...(await mtlsRows(fhirkeep, `https://127.0.0.1:${mtlsPort}`, certificate, crud.readPath, timing, fhirkeepCpu)));
  rows.push(...(await tokenRows(fhirkeep, clients, timing, fhirkeepCpu)));
  // After the idle measurement: whole bundles in flight hold far more memory than single requests.
  rows.push(await ingestRow(fhirkeep, loadTransactionBundles(quick ? 20 : 100), fhirkeepCpu));
  await fhirkeep.stop();
  const existingStartMs: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const again = await startFhirkeep(dataDir);
    existingStartMs.push(again.readyMs);
    await again.stop();
  }
  // Last: the export fills the database far beyond what the start-up times above were measured on.
  const exported = await exportPhase(dataDir, exportResources, clients.secretClient, dbPids);
  rows.push(exported.result.row);
  console.log(describeExportPhase(exported));

  const startup: StartupResult = { firstStartMs, existingStartMs, idleRssMb, scopeCompile: await measureScopeCompile() };
  const goals = judgeGoals(rows, startup, exported.summary);
  console.log(`\n${renderTable(rows, startup, goals, exported.summary)}`);
  const file = writeResults({
    startedAt: startedAt.toISOString(),
    quick,
    commit: commit(),
    node: process.version,
    machine: { cpus: cpus().length, busyShareAtStart: busyAtStart },
    dataset: dataset.source,
    timing,
    rows,
    startup: { ...startup, existingStartMedianMs: median(existingStartMs) },
    export: { target: exportResources, amplification: exported.amplification, ...exported.result, row: undefined, serverSeconds: exported.serverSeconds, phaseSeconds: exported.phaseSeconds },
    goals,
  });
  console.log(`\nbase 1 = ${JSON_BASELINE}; base 2 = ${SQL_BASELINE}; µs/op = server CPU time per 2xx response;`);
  console.log('other CPU = share of the machine used by processes outside the benchmark during the row');
  console.log(`results: ${file}`);
  return rows.some((r) => r.errors > 0) ? 1 : 0;
}

async function measureBaseline(
  name: string,
  script: string,
  env: Record<string, string>,
  dataset: Dataset,
  timing: Timing,
  database: () => readonly number[],
): Promise<Row> {
  const port = await freePort();
  const server = await startServer({
    name,
    args: ['--import', 'tsx', join(root, 'bench', 'baselines', script)],
    env: { ...env, BENCH_PORT: String(port) },
    port,
    readyPath: '/readyz',
  });
  try {
    return await baselineRow(server, dataset, timing, { node: server.pid, database });
  } finally {
    await server.stop();
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers`);
    void cleanUp().finally(() => process.exit(130));
  });
}
main(process.argv.slice(2))
  .then(async (code) => {
    await cleanUp();
    process.exitCode = code;
  })
  .catch(async (e: unknown) => {
    console.error(e);
    await cleanUp();
    process.exitCode = 1;
  });
