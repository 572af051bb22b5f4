/**
 * `npm run bench [-- --quick]` (docs/benchmark.md): Fhirkeep's workloads and the two baselines
 * they are judged against, measured in one run on this machine, each server in its own process,
 * load from autocannon in this one; then start-up time and idle memory. Prints one table and
 * writes it as JSON to bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BASELINE_DATABASE, seedBaseline } from './baselines/seed.js';
import { loadDataset, loadTransactionBundles, type Dataset } from './dataset.js';
import { clusterConnection, postmasterPid, stopLeftoverPostmaster } from './embedded-cluster.js';
import { childPids, cleanUp, freePort, machineBusyMs, onCleanup, rssMb, startServer, type Server } from './process.js';
import { judgeGoals, median, renderTable, type StartupResult } from './report.js';
import { baselineRow, fhirkeepRows, ingestRow, JSON_BASELINE, SQL_BASELINE, type Row, type Timing } from './workloads.js';

const USAGE = `usage: npm run bench [-- --quick]
  --quick  1 s warm-up + 5 s per workload, one restart (about a minute); default 5 s + 25 s, three restarts (about five minutes)`;

const root = fileURLToPath(new URL('..', import.meta.url));
const fhirkeepBin = join(root, 'bin', 'fhirkeep.js');

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--quick');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    console.error('dist/ is missing: run `npm run build` first (`npm run bench` does).');
    return 1;
  }
  const quick = argv.includes('--quick');
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

  const work = mkdtempSync(join(tmpdir(), 'fhirkeep-bench-'));
  // As root the cluster runs as an unprivileged user, who must be able to reach the data directory.
  chmodSync(work, 0o755);
  const dataDir = join(work, 'data');
  onCleanup(() => rmSync(work, { recursive: true, force: true }));
  onCleanup(() => stopLeftoverPostmaster(dataDir));

  const fhirkeep = await startFhirkeep(dataDir);
  const firstStartMs = fhirkeep.readyMs;
  const dbPids = (): number[] => childPids(postmasterPid(dataDir) ?? -1);
  const connection = clusterConnection(dataDir);
  await seedBaseline(connection, dataset.resources);

  const rows: Row[] = [];
  rows.push(await measureBaseline(JSON_BASELINE, 'json-server.ts', {}, dataset, timing, () => []));
  const sqlEnv = { BENCH_PG: JSON.stringify({ ...connection, database: BASELINE_DATABASE }) };
  rows.push(await measureBaseline(SQL_BASELINE, 'sql-server.ts', sqlEnv, dataset, timing, dbPids));
  rows.push(...(await fhirkeepRows(fhirkeep, dataset, timing, { node: fhirkeep.pid, database: dbPids })));

  // Idle: the load has stopped and in-flight work (responses, history writes) has settled.
  await sleep(2000);
  fhirkeep.assertRunning();
  const idleRssMb = rssMb(fhirkeep.pid);
  // After the idle measurement: whole bundles in flight hold far more memory than single requests.
  rows.push(await ingestRow(fhirkeep, loadTransactionBundles(quick ? 20 : 100), { node: fhirkeep.pid, database: dbPids }));
  await fhirkeep.stop();
  const existingStartMs: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const again = await startFhirkeep(dataDir);
    existingStartMs.push(again.readyMs);
    await again.stop();
  }

  const startup: StartupResult = { firstStartMs, existingStartMs, idleRssMb };
  const goals = judgeGoals(rows, startup);
  console.log(`\n${renderTable(rows, startup, goals)}`);
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
    goals,
  });
  console.log(`\nbase 1 = ${JSON_BASELINE}; base 2 = ${SQL_BASELINE}; µs/op = server CPU time per 2xx response;`);
  console.log('other CPU = share of the machine used by processes outside the benchmark during the row');
  console.log(`results: ${file}`);
  return rows.some((r) => r.errors > 0) ? 1 : 0;
}

async function startFhirkeep(dataDir: string): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: 'fhirkeep serve',
    args: [fhirkeepBin, 'serve'],
    env: {
      FHIRKEEP_DATA_DIR: dataDir,
      FHIRKEEP_HOST: '127.0.0.1',
      FHIRKEEP_PORT: String(port),
      FHIRKEEP_DEV_NO_AUTH: '1',
      FHIRKEEP_LOG_LEVEL: 'warn',
    },
    port,
    readyPath: '/readyz',
  });
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

/** Share of all cores busy over `ms` while this process waits: other work on the machine. */
async function busyShare(ms: number): Promise<number> {
  const before = machineBusyMs();
  await sleep(ms);
  return (machineBusyMs() - before) / (ms * cpus().length);
}

function writeResults(results: Record<string, unknown>): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${String(results.startedAt).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

function commit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
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
