import { withId, type Dataset } from './dataset.js';
import { runIngest } from './ingest.js';
import { measure, measureRun, type CpuProbe, type LoadResult, type LoadSpec } from './load.js';
import type { Server } from './process.js';

export interface Timing {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly connections: number;
}

export interface Row extends LoadResult {
  readonly name: string;
  /** What one op is: a request, or a resource for create. */
  readonly unit: 'req/s' | 'res/s';
}

export const JSON_BASELINE = 'baseline 1: Fastify, JSON from memory';
export const SQL_BASELINE = 'baseline 2: Fastify + 1 SQL PK read';
export const CREATE = 'create (POST)';
export const READ = 'read by id';
export const READ_BEARER = 'read by id (bearer token)';
export const READ_STATIC_KEY = 'read by id (static API key)';

/** A read row with a credential: its name and the Authorization header it sends. */
export interface AuthenticatedRead {
  readonly name: string;
  readonly authorization: () => Promise<string>;
}

export interface FhirkeepRows {
  readonly rows: Row[];
  /** The path of a random created resource, for reads measured later (e.g. over the mTLS listener). */
  readonly readPath: () => string;
}

/** Both baselines serve the data set as `/baseline/{type}/b{index}`; requests pick indexes at random. */
export async function baselineRow(server: Server, dataset: Dataset, timing: Timing, cpu: CpuProbe): Promise<Row> {
  const { resources } = dataset;
  const next = (): { method: 'GET'; path: string } => {
    const i = Math.floor(Math.random() * resources.length);
    return { method: 'GET', path: `/baseline/${resources[i]?.type ?? ''}/b${i}` };
  };
  const result = await measure({ url: server.url, connections: timing.connections, next }, timing.warmupSeconds, timing.seconds, cpu);
  server.assertRunning();
  return { name: server.name, unit: 'req/s', ...result };
}

interface Created {
  readonly type: string;
  readonly id: string;
  /** Which data-set resource it was made from (its body is the update's). */
  readonly index: number;
}

/**
 * Fhirkeep's workloads in order: create fills the server (its warm-up too) and records the ids
 * from the Location headers; the others pick among those at random. Each of `authenticatedReads`
 * runs the read again with its credential, right after the unauthenticated one (same data, same
 * cache), so their ratios are the credentials' costs.
 */
export async function fhirkeepRows(
  server: Server,
  dataset: Dataset,
  timing: Timing,
  cpu: CpuProbe,
  authenticatedReads: readonly AuthenticatedRead[] = [],
): Promise<FhirkeepRows> {
  const { resources } = dataset;
  const rows: Row[] = [];
  const run = async (name: string, unit: Row['unit'], spec: Omit<LoadSpec, 'url' | 'connections'>): Promise<void> => {
    const result = await measure({ url: server.url, connections: timing.connections, ...spec }, timing.warmupSeconds, timing.seconds, cpu);
    // A server that died mid-run leaves only connection errors: stop rather than report them.
    server.assertRunning();
    rows.push({ name, unit, ...result });
  };

  const created: Created[] = [];
  let cursor = 0;
  await run(CREATE, 'res/s', {
    next: () => {
      const index = cursor++ % resources.length;
      const r = resources[index] as (typeof resources)[number];
      return { method: 'POST', path: `/fhir/${r.type}`, body: r.body, tag: index };
    },
    onResponse: (status, headers, tag) => {
      // FHIR R4 §3.1.0.8: Location is [base]/[type]/[id]/_history/[vid].
      const m = status === 201 ? /\/([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/[^/]+$/.exec(headers.location ?? headers.Location ?? '') : null;
      if (m?.[1] !== undefined && m[2] !== undefined && tag !== undefined) created.push({ type: m[1], id: m[2], index: tag });
    },
  });
  if (created.length === 0) throw new Error(`create stored nothing: ${rows[0]?.errorSamples.join('\n') ?? ''}`);
  const pick = (): Created => created[Math.floor(Math.random() * created.length)] as Created;
  const readPath = (): string => {
    const c = pick();
    return `/fhir/${c.type}/${c.id}`;
  };

  await run(READ, 'req/s', { next: () => ({ method: 'GET', path: readPath() }) });
  for (const read of authenticatedReads) {
    const headers = { authorization: await read.authorization() };
    await run(read.name, 'req/s', { next: () => ({ method: 'GET', path: readPath(), headers }) });
  }
  await run('update (PUT)', 'req/s', {
    next: () => {
      const c = pick();
      return { method: 'PUT', path: `/fhir/${c.type}/${c.id}`, body: withId(resources[c.index] as (typeof resources)[number], c.id) };
    },
  });
  await run('vread (version 1)', 'req/s', {
    next: () => {
      const c = pick();
      return { method: 'GET', path: `/fhir/${c.type}/${c.id}/_history/1` };
    },
  });
  await run('history: instance', 'req/s', {
    next: () => {
      const c = pick();
      return { method: 'GET', path: `/fhir/${c.type}/${c.id}/_history` };
    },
  });
  const type = mostCommonType(created);
  await run(`history: type, ${type}, page of 20`, 'req/s', {
    next: () => ({ method: 'GET', path: `/fhir/${type}/_history?_count=20` }),
  });
  return { rows, readPath };
}

function mostCommonType(created: readonly Created[]): string {
  const counts = new Map<string, number>();
  for (const c of created) counts.set(c.type, (counts.get(c.type) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'Patient';
}

/** Transaction ingest (the search issue's figure): bundles POSTed whole, 4 at a time. */
export async function ingestRow(server: Server, bundles: readonly { text: string; resources: number }[], cpu: CpuProbe): Promise<Row> {
  const result = await measureRun(() => runIngest(`${server.url}/fhir`, bundles, 4), cpu);
  server.assertRunning();
  return { name: `ingest: ${bundles.length} transaction bundles, 4 at once`, unit: 'res/s', ...result };
}
