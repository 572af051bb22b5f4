/**
 * `npm run bench -- --search` (docs/benchmark.md): a fresh Fhirkeep filled with clones of the
 * Synthea bundles, then US Core searches against it one at a time, and a walk through 50 pages.
 */
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { readSynthea, SYNTHEA, syntheaFiles } from '../dataset.js';
import { clusterConnection, postmasterPid } from '../embedded-cluster.js';
import { freshDataDir, startFhirkeep } from '../fhirkeep.js';
import { runIngest } from '../ingest.js';
import { measureRun, type CpuProbe } from '../load.js';
import { busyShare, childPids, type Server } from '../process.js';
import { commit, writeResults } from '../results.js';
import type { Row } from '../workloads.js';
import { accessTokens } from '../access-setup.js';
import { parseTransaction } from './bundle.js';
import { clones, type CloneBundle } from './clone.js';
import { patientFacts, patientIdFrom, type PatientFacts } from './facts.js';
import { runPaging, type PagingResult } from './paging.js';
import { searchShapes, seededRandom, type LoadedPatient, type SearchShape } from './queries.js';
import { judgeSearch, renderSearchTable, type AccessPair, type SearchRow } from './report.js';
import { runSequential, timedGet, type Budget } from './sequential.js';

/** Bundles in flight during the load: where ingest peaked on the 2-core machines here (docs/benchmark.md). */
export const DEFAULT_PARALLEL = 8;

export interface SearchOptions {
  readonly quick: boolean;
  /** Load at least this many resources. */
  readonly resources: number;
  readonly parallel: number;
}

/** Vital signs every Synthea patient has, many times over: thousands of matches even at 100,000 resources. */
const PAGING_QUERIES = ['/fhir/Observation?code=8302-2&_count=20', '/fhir/Observation?code=29463-7&_count=20'];
const PAGES = 50;

interface Source {
  readonly text: string;
  readonly resources: number;
  readonly facts: PatientFacts;
}

export async function searchBench(options: SearchOptions): Promise<number> {
  const files = syntheaFiles();
  if (files.length === 0) {
    console.error(`--search needs the Synthea bundles in ${SYNTHEA} (none found)`);
    return 1;
  }
  const startedAt = new Date();
  const busyAtStart = await busyShare(1000);
  const sources: Source[] = files.map((file) => {
    const bundle = parseTransaction(readSynthea(file));
    return { text: JSON.stringify(bundle), resources: bundle.entry.length, facts: patientFacts(bundle) };
  });
  const sourceResources = sources.reduce((n, s) => n + s.resources, 0);
  const warmup: Budget = options.quick ? { requests: 20, seconds: 2 } : { requests: 100, seconds: 5 };
  const measured: Budget = options.quick ? { requests: 200, seconds: 10 } : { requests: 1000, seconds: 30 };
  const walks = options.quick ? 5 : 20;
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(busyAtStart * 100).toFixed(0)}% busy with other work before the start`;
  console.log(`Fhirkeep search benchmark${options.quick ? ' (--quick)' : ''}, commit ${commit() ?? 'unknown'}, Node ${process.version}`);
  console.log(`data:    ${options.resources.toLocaleString('en')}+ resources: clones of the ${sources.length} Synthea R4 bundles in ${SYNTHEA} (${sourceResources.toLocaleString('en')} resources), each clone with its own family names and identifiers`);
  console.log(`machine: ${machine}`);
  console.log(`load:    transaction bundles POST /fhir, ${options.parallel} in flight; then VACUUM (ANALYZE)`);
  console.log(`search:  one request at a time, ${warmup.requests} warm-up then ${measured.requests} (at most ${measured.seconds} s) per query, random loaded patients; paging: ${walks} walks of ${PAGES} pages, ${PAGING_QUERIES.join(' and ')} in turn`);
  if (busyAtStart > 0.1) console.log('warning: other processes keep the machine busy; expect slower, noisier numbers (see "other CPU")');

  const dataDir = freshDataDir();
  const fhirkeep = await startFhirkeep(dataDir);
  const cpu: CpuProbe = { node: fhirkeep.pid, database: () => childPids(postmasterPid(dataDir) ?? -1) };

  const { row: loadRow, patients } = await load(fhirkeep, sources, options, cpu);
  if (patients.length === 0) throw new Error(`the load created no Patient: ${loadRow.errorSamples.join('\n')}`);
  const vacuumSeconds = await vacuumAnalyze(dataDir);
  console.log(`vacuum:  VACUUM (ANALYZE) took ${vacuumSeconds.toFixed(1)} s`);

  const shapes = searchShapes(patients);
  const random = seededRandom(1);
  const probe = await timedGet(`${fhirkeep.url}${shapes[0]?.path(random) ?? PAGING_QUERIES[0]}`);
  const available = probe.status !== 501;
  const rows: SearchRow[] = [];
  const access: AccessPair[] = [];
  let paging: PagingResult | undefined;
  if (available) {
    for (const shape of shapes) {
      const result = await measureRun(() => runSequential(fhirkeep.url, () => shape.path(random), warmup, measured), cpu);
      fhirkeep.assertRunning();
      rows.push({ name: shape.name, targets: shape.targets, ...result });
      console.log(`  ${shape.name}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms${result.errors > 0 ? `, ${result.errors} errors` : ''}`);
    }
    paging = await runPaging(fhirkeep.url, PAGING_QUERIES, walks, PAGES);
    fhirkeep.assertRunning();
    access.push(...(await runAccess(fhirkeep, dataDir, shapes, warmup, measured, cpu)));
  }

  const goals = judgeSearch(rows, paging, access);
  console.log(`\n${renderSearchTable({ row: loadRow, vacuumSeconds }, rows, paging, access)}`);
  if (!available) console.log(`\nsearch not available (501): the searches were not run; the server said ${probe.body.slice(0, 300)}`);
  const file = writeResults({
    startedAt: startedAt.toISOString(),
    mode: 'search',
    quick: options.quick,
    commit: commit(),
    node: process.version,
    machine: { cpus: cpus().length, busyShareAtStart: busyAtStart },
    dataset: `clones of ${sources.length} Synthea R4 bundles (${sourceResources} resources)`,
    options: { ...options, warmup, measured, walks, pages: PAGES },
    load: { ...loadRow, patients: patients.length, vacuumSeconds },
    search: available ? { available, rows, paging, access } : { available, status: probe.status, body: probe.body.slice(0, 1000) },
    goals,
  });
  console.log('\nhits = mean entries per searchset page; µs/op = server CPU time per 2xx response; other CPU = share of the machine used by processes outside the benchmark');
  console.log(`results: ${file}`);
  const failed = loadRow.errors > 0 || [...rows, ...access.flatMap((p) => [p.unfiltered, p.filtered])].some((r) => r.errors > 0) || (paging?.failures.length ?? 0) > 0;
  return failed ? 1 : 0;
}

/** What the subscribed service's filter lets through: the types the search shapes ask for. */
const ACCESS_FILTER = { format: ['fhir/Observation', 'fhir/Patient', 'fhir/Condition', 'fhir/Encounter'] };

/**
 * The access engine's figure: every shape twice on the same seeded requests, with the
 * institution's token (no filter, every record) and with a subscribed service's (its filter, a
 * consent from every patient), so both find the same records and differ only in the scope's SQL.
 */
async function runAccess(server: Server, dataDir: string, shapes: readonly SearchShape[], warmup: Budget, measured: Budget, cpu: CpuProbe): Promise<AccessPair[]> {
  const tokens = await accessTokens(server, dataDir, ACCESS_FILTER);
  const pairs: AccessPair[] = [];
  for (const shape of shapes) {
    const run = async (label: string, token: string): Promise<SearchRow> => {
      const random = seededRandom(2);
      const result = await measureRun(() => runSequential(server.url, () => shape.path(random), warmup, measured, { authorization: `Bearer ${token}` }), cpu);
      server.assertRunning();
      console.log(`  ${shape.name} · ${label}: p50 ${result.p50.toFixed(2)} ms`);
      return { name: `${shape.name} · ${label}`, targets: {}, ...result };
    };
    pairs.push({ unfiltered: await run('no filter (institution)', tokens.unfiltered), filtered: await run('filter + consents', tokens.filtered) });
  }
  return pairs;
}

/** Clones POSTed as transactions until the target; the Patient ids come from the responses. */
async function load(server: Server, sources: readonly Source[], options: SearchOptions, cpu: CpuProbe): Promise<{ row: Row; patients: LoadedPatient[] }> {
  const patients: LoadedPatient[] = [];
  let bundles = 0;
  let clonesMade = 0;
  let loaded = 0;
  const counted = function* (): Generator<CloneBundle> {
    for (const bundle of clones(sources, options.resources)) {
      bundles++;
      clonesMade = bundle.clone + 1;
      yield bundle;
    }
  };
  const onCommitted = (bundle: CloneBundle, response: string): void => {
    loaded += bundle.resources;
    const facts = (sources[bundle.source] as Source).facts;
    const id = patientIdFrom(response, facts.entry);
    if (id !== undefined) patients.push({ id, clone: bundle.clone, facts });
  };
  const started = performance.now();
  // A load of a million takes minutes: show that it moves.
  const progress = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    console.log(`  loaded ${loaded.toLocaleString('en')} resources in ${seconds.toFixed(0)} s (${(loaded / seconds).toFixed(0)} res/s)`);
  }, 30_000);
  try {
    const result = await measureRun(() => runIngest(`${server.url}/fhir`, counted(), options.parallel, onCommitted), cpu).catch(async (e: unknown) => {
      // A refused connection mostly means the server died or is shutting down (which takes a
      // few seconds): say so with its exit and last output.
      for (let waited = 0; waited < 20_000; waited += 100) {
        server.assertRunning();
        await sleep(100);
      }
      throw e;
    });
    server.assertRunning();
    const row: Row = { name: `load: ${bundles} transaction bundles (${clonesMade} clones), ${options.parallel} at once`, unit: 'res/s', ...result };
    console.log(`loaded:  ${result.ok.toLocaleString('en')} resources, ${patients.length} Patients in ${result.seconds.toFixed(0)} s (${result.opsPerSec.toFixed(0)} res/s)`);
    return { row, patients };
  } finally {
    clearInterval(progress);
  }
}

/**
 * Brings the statistics and visibility map to where autovacuum takes them on its own some time
 * after a bulk load, so the searches do not depend on when it last ran. Returns seconds.
 */
async function vacuumAnalyze(dataDir: string): Promise<number> {
  const sql = postgres({ ...clusterConnection(dataDir), max: 1, onnotice: () => {} });
  const started = performance.now();
  try {
    await sql.unsafe('vacuum (analyze)');
  } finally {
    await sql.end();
  }
  return (performance.now() - started) / 1000;
}
