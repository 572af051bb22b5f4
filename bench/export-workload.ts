/**
 * The bulk-export workload (FHIR Bulk Data Access IG, docs/bulk-export.md): the institution's
 * own backend (reach all, `system/*.rs`) kicks off a system-level `$export` of every type, polls
 * its status URL as the IG's client does (no sooner than Retry-After), and times kick-off → the
 * 200 manifest; the server's Node process RSS is sampled meanwhile. Then every file is
 * downloaded, its lines counted against the manifest (a sanity check of the bench, not a
 * measurement), and the export deleted. The database is first filled to the size the export is
 * measured at by bench/amplify.ts (bench-only copies).
 */
import type { Manifest, ManifestEntry } from '../src/bulk/manifest.js';
import postgres from 'postgres';
import { amplifyResources, type Amplification } from './amplify.js';
import { clientToken } from './auth-workloads.js';
import { clusterConnection, type ClusterConnection } from './embedded-cluster.js';
import { startFhirkeep } from './fhirkeep.js';
import { measureRun, type CpuProbe, type RunResult } from './load.js';
import { rssMb, type Server } from './process.js';
import type { ExportSummary } from './report.js';
import type { Row } from './workloads.js';

export const EXPORT_ROW_PREFIX = 'export: system $export';

/** The export's row name, which names its size (the goal is for 1,000,000 resources). */
export function exportRowName(resources: number): string {
  return `${EXPORT_ROW_PREFIX}, all types, ${resources.toLocaleString('en')} resources`;
}

/** The server's settings for the export phase: a 1 s Retry-After, so polling costs at most a second of the time measured. */
export const EXPORT_SERVER_ENV: Readonly<Record<string, string>> = { FHIRKEEP_EXPORT_POLL_SECONDS: '1' };


/** Parses a manifest, checking the fields the bench relies on; throws saying what is missing. */
export function parseManifest(text: string): Manifest {
  const m = JSON.parse(text) as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new Error(`manifest ${what}: ${text.slice(0, 300)}`);
  };
  if (typeof m.transactionTime !== 'string') fail('has no transactionTime');
  if (typeof m.request !== 'string') fail('has no request');
  if (m.requiresAccessToken !== true) fail('does not say requiresAccessToken: true');
  const entries = (name: 'output' | 'error'): ManifestEntry[] => {
    const list = m[name] ?? [];
    if (!Array.isArray(list)) return fail(`${name} is not an array`);
    return list.map((e: unknown): ManifestEntry => {
      const { type, url, count } = (e ?? {}) as Record<string, unknown>;
      if (typeof type !== 'string' || typeof url !== 'string') return fail(`${name} entry without type or url`);
      // count is optional in the IG; Fhirkeep always sends it, and the line check needs it.
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return fail(`${name} entry without a count`);
      return { type, url, count };
    });
  };
  return { transactionTime: m.transactionTime as string, request: m.request as string, requiresAccessToken: true, output: entries('output'), error: entries('error') };
}

/** Retry-After in ms: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); `fallbackSeconds` when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number, fallbackSeconds = 1): number {
  if (header === null || header.trim() === '') return fallbackSeconds * 1000;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? fallbackSeconds * 1000 : Math.max(0, at - now);
}

/** Lines and bytes of an NDJSON stream, chunk by chunk: a last line without its newline counts too. */
export class LineCounter {
  lines = 0;
  bytes = 0;
  private last = 0x0a;

  push(chunk: Uint8Array): void {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) this.lines++;
    this.bytes += chunk.length;
    if (chunk.length > 0) this.last = chunk[chunk.length - 1] as number;
  }

  /** Lines including an unterminated last one. */
  get total(): number {
    return this.lines + (this.last === 0x0a ? 0 : 1);
  }
}

/** Files whose line count is not the manifest's count, one message each. */
export function lineMismatches(output: readonly ManifestEntry[], counted: ReadonlyMap<string, number>): string[] {
  return output.flatMap((e) => {
    const lines = counted.get(e.url);
    if (lines === undefined) return [`${e.url}: not downloaded`];
    return lines === e.count ? [] : [`${e.url}: ${lines} lines, the manifest says ${e.count}`];
  });
}

/** Largest value a sampler saw, how many samples, and the peak of each half second (whether it is flat or grows). */
export interface RssSample {
  readonly beforeMb: number;
  readonly peakMb: number;
  readonly samples: number;
  /** [seconds since the start, peak MB in the half second up to then]. */
  readonly trace: readonly (readonly [number, number])[];
}

/** Samples `pid`'s RSS every `ms` until stopped; the peak includes a sample at start and at stop. */
export function sampleRss(pid: number, ms = 50): { stop(): RssSample } {
  const beforeMb = rssMb(pid);
  const started = performance.now();
  let peakMb = beforeMb;
  let samples = 1;
  const trace: [number, number][] = [[0, beforeMb]];
  const take = (): void => {
    try {
      const mb = rssMb(pid);
      peakMb = Math.max(peakMb, mb);
      samples++;
      const at = Math.ceil((performance.now() - started) / 500) / 2;
      const lastPoint = trace[trace.length - 1] as [number, number];
      if (lastPoint[0] === at) lastPoint[1] = Math.max(lastPoint[1], mb);
      else trace.push([at, mb]);
    } catch {
      // the process has gone; assertRunning says so
    }
  };
  const timer = setInterval(take, ms);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { beforeMb, peakMb, samples, trace };
    },
  };
}

export interface ExportResult {
  /** The table's row: resources per second, kick-off → 200 manifest. */
  readonly row: Row;
  readonly resources: number;
  readonly files: number;
  readonly types: number;
  /** NDJSON bytes the manifest's files hold (as downloaded). */
  readonly bytes: number;
  /** bytes ÷ the row's seconds, in MB/s (10^6). */
  readonly mbPerSec: number;
  /** Status requests answered 202 (and 429, which a client honouring Retry-After should never see). */
  readonly polls: number;
  readonly early: number;
  /** Server Node process RSS from kick-off to the manifest, and while serving the files. */
  readonly rss: RssSample;
  readonly downloadRss: RssSample;
  readonly downloadSeconds: number;
  /** Files whose lines are not their manifest count (empty when the check passed). */
  readonly mismatches: readonly string[];
  readonly deleteStatus: number;
  /** The status URL the kick-off named (its last segment is the job's id). */
  readonly statusUrl?: string;
}

interface Kickoff extends RunResult {
  readonly manifest?: Manifest;
  readonly statusUrl?: string;
  readonly polls: number;
  readonly early: number;
}

/** Long enough for 1,000,000 resources at a twentieth of the goal's rate. */
const MANIFEST_TIMEOUT_MS = 20 * 60_000;

/**
 * Kick-off → manifest → downloads → DELETE, with `token` (an access token of a reach-all client
 * with system/*.rs). Request failures, and no manifest within `timeoutMs`, are the row's errors,
 * with samples, not exceptions.
 */
export async function runExport(
  server: Server,
  token: string,
  cpu: CpuProbe,
  name: (resources: number) => string = exportRowName,
  timeoutMs = MANIFEST_TIMEOUT_MS,
): Promise<ExportResult> {
  const auth = { authorization: `Bearer ${token}` };
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let problems = 0;
  const problem = (text: string, count = 1): void => {
    problems += count;
    if (errorSamples.length < 3) errorSamples.push(text.slice(0, 300));
  };
  /** Every request but the polls: its status, and a problem unless `ok`. */
  const note = (status: number, ok: boolean, body: string): void => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!ok) problem(`${status} ${body}`);
  };

  const sampler = sampleRss(server.pid);
  const kickoff = await measureRun(async (): Promise<Kickoff> => {
    const started = performance.now();
    const done = (extra: Partial<Kickoff> & Pick<Kickoff, 'polls' | 'early'>): Kickoff => {
      const seconds = (performance.now() - started) / 1000;
      const ok = extra.manifest?.output.reduce((n, e) => n + e.count, 0) ?? 0;
      return { ok, errors: 0, statuses, errorSamples, seconds, opsPerSec: ok / seconds, p50: Number.NaN, p99: Number.NaN, ...extra };
    };
    const res = await fetch(`${server.url}/fhir/$export`, { headers: { ...auth, accept: 'application/fhir+json', prefer: 'respond-async' } });
    const kickoffBody = await res.text();
    const statusUrl = res.headers.get('content-location');
    note(res.status, res.status === 202 && statusUrl !== null, kickoffBody);
    if (res.status !== 202 || statusUrl === null) return done({ polls: 0, early: 0 });
    let polls = 0;
    let early = 0;
    for (;;) {
      const poll = await fetch(statusUrl, { headers: { ...auth, accept: 'application/json' } });
      const body = await poll.text();
      if (poll.status === 200) {
        note(200, true, body);
        let manifest: Manifest;
        try {
          manifest = parseManifest(body);
        } catch (e) {
          problem((e as Error).message);
          return done({ polls, early, statusUrl });
        }
        // Resources that could not be exported: each is an error of the row.
        for (const e of manifest.error) problem(`manifest error file: ${e.type}, ${e.count} at ${e.url}`, e.count);
        return done({ manifest, statusUrl, polls, early });
      }
      if (poll.status !== 202 && poll.status !== 429) {
        note(poll.status, false, body);
        return done({ polls, early, statusUrl });
      }
      if (poll.status === 202) polls++;
      else early++;
      if (performance.now() - started > timeoutMs) {
        problem(`no manifest within ${timeoutMs / 1000} s; the last status said ${poll.headers.get('x-progress') ?? body}`);
        return done({ polls, early, statusUrl });
      }
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs(poll.headers.get('retry-after'), Date.now())));
    }
  }, cpu);
  const rss = sampler.stop();
  server.assertRunning();

  // Downloads, a few at a time, each counted as it streams (nothing held in memory).
  const counted = new Map<string, number>();
  let bytes = 0;
  const downloadSampler = sampleRss(server.pid);
  const downloadStarted = performance.now();
  const queue = [...(kickoff.manifest?.output ?? [])];
  const worker = async (): Promise<void> => {
    for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
      const res = await fetch(entry.url, { headers: { ...auth, accept: 'application/fhir+ndjson' } });
      const type = res.headers.get('content-type') ?? '';
      if (res.status !== 200 || res.body === null || !type.startsWith('application/fhir+ndjson')) {
        note(res.status, false, `${entry.url} (${type}): ${await res.text()}`);
        continue;
      }
      note(200, true, '');
      const counter = new LineCounter();
      const reader = res.body.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) counter.push(read.value);
      counted.set(entry.url, counter.total);
      bytes += counter.bytes;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const downloadSeconds = (performance.now() - downloadStarted) / 1000;
  const downloadRss = downloadSampler.stop();
  // A file that failed to download is already an error (its status): only the downloaded ones are checked.
  const mismatches = lineMismatches((kickoff.manifest?.output ?? []).filter((e) => counted.has(e.url)), counted);
  for (const m of mismatches) problem(`line check: ${m}`);

  let deleteStatus = 0;
  if (kickoff.statusUrl !== undefined) {
    const res = await fetch(kickoff.statusUrl, { method: 'DELETE', headers: auth });
    deleteStatus = res.status;
    note(res.status, res.status === 202, await res.text());
  }
  server.assertRunning();

  const { manifest, statusUrl, polls, early, ...result } = kickoff;
  const output = manifest?.output ?? [];
  return {
    row: { name: name(result.ok), unit: 'res/s', ...result, errors: problems, statuses, errorSamples },
    resources: result.ok,
    files: output.length,
    types: new Set(output.map((e) => e.type)).size,
    bytes,
    mbPerSec: bytes / 1e6 / result.seconds,
    polls,
    early,
    rss,
    downloadRss,
    downloadSeconds,
    mismatches,
    deleteStatus,
    ...(statusUrl === undefined ? {} : { statusUrl }),
  };
}

export interface ExportPhase {
  readonly amplification: Amplification;
  readonly result: ExportResult;
  /**
   * The job's own time in the database (export_jobs: created → finished), free of the polling's
   * granularity; for information beside the row, which is what a client sees.
   */
  readonly serverSeconds?: number;
  readonly summary: ExportSummary;
  /** Start of the server → it stopped: what the export adds to the run. */
  readonly phaseSeconds: number;
}

/**
 * The export on the data directory the other workloads filled: Fhirkeep started again on it with
 * EXPORT_SERVER_ENV, the resources amplified to `target`, then runExport with a token of
 * `client` (the bench's reach-all backend), then stopped. `database` gives the cluster's
 * backends, for their CPU time.
 */
export async function exportPhase(
  dataDir: string,
  target: number,
  client: { readonly id: string; readonly secret: string },
  database: () => readonly number[],
): Promise<ExportPhase> {
  const started = performance.now();
  const server = await startFhirkeep(dataDir, { env: EXPORT_SERVER_ENV });
  try {
    const connection = clusterConnection(dataDir);
    const amplification = await amplifyResources(connection, target);
    const token = await clientToken(server, client);
    const result = await runExport(server, token, { node: server.pid, database });
    const serverSeconds = result.statusUrl === undefined ? undefined : await jobSeconds(connection, result.statusUrl);
    const summary: ExportSummary = {
      row: result.row.name,
      resources: result.resources,
      mbPerSec: result.mbPerSec,
      bytes: result.bytes,
      files: result.files,
      rssBeforeMb: result.rss.beforeMb,
      peakRssMb: Math.max(result.rss.peakMb, result.downloadRss.peakMb),
    };
    await server.stop();
    return { amplification, result, summary, ...(serverSeconds === undefined ? {} : { serverSeconds }), phaseSeconds: (performance.now() - started) / 1000 };
  } finally {
    await server.stop();
  }
}

/** created → finished of the job a status URL names, from export_jobs (migration 009); undefined if not there. */
async function jobSeconds(connection: ClusterConnection, statusUrl: string): Promise<number | undefined> {
  const id = new URL(statusUrl).pathname.split('/').at(-1) ?? '';
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const sql = postgres({ ...connection, max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ seconds: number | null }[]>`
      select extract(epoch from finished_at - created_at)::float8 as seconds from export_jobs where id = ${id}::uuid`;
    return row?.seconds ?? undefined;
  } catch {
    return undefined;
  } finally {
    await sql.end();
  }
}

/** What the phase did, for the log above the table. */
export function describeExportPhase(p: ExportPhase): string {
  const a = p.amplification;
  const r = p.result;
  const copies = a.after - a.before;
  return [
    `export:  ${a.after.toLocaleString('en')} resources = ${a.before.toLocaleString('en')} stored by the workloads above + ${copies.toLocaleString('en')} BENCH-ONLY SQL copies (bench/amplify.ts: resources rows only, no history or search index)` +
      `${a.skipped > 0 ? `, ${a.skipped} not copied` : ''}; copying ${a.insertSeconds.toFixed(1)} s, VACUUM (ANALYZE) + CHECKPOINT ${a.settleSeconds.toFixed(1)} s`,
    `         kick-off → manifest ${r.row.seconds.toFixed(1)} s (${r.polls} polls at Retry-After${r.early > 0 ? `, ${r.early} answered 429` : ''}` +
      `${p.serverSeconds === undefined ? '' : `; the job itself, created → finished: ${p.serverSeconds.toFixed(1)} s, ${(r.resources / p.serverSeconds).toFixed(0)} res/s`}): ${r.resources.toLocaleString('en')} resources of ${r.types} types in ${r.files} files, ${(r.bytes / 1e6).toFixed(0)} MB;` +
      ` downloads ${r.downloadSeconds.toFixed(1)} s (server RSS peak ${r.downloadRss.peakMb.toFixed(0)} MB), lines ${r.mismatches.length === 0 ? 'match the manifest' : `DO NOT match the manifest in ${r.mismatches.length} files`}; DELETE ${r.deleteStatus}`,
    `         the export phase took ${p.phaseSeconds.toFixed(1)} s in all (start, copies, export, downloads, stop)`,
  ].join('\n');
}
