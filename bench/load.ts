import autocannon from 'autocannon';
import { cpus } from 'node:os';
import { cpuMs, machineBusyMs } from './process.js';

export interface BenchRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: string;
  /** Sent on top of the defaults (accept, and content-type for a body); these win. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A client certificate for an https `url` (the mTLS listener), and the CA that signed the server's. */
export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** The name the server's certificate is checked for (SNI), when `url` names it by address. */
  readonly servername: string;
}

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly tls?: ClientTls;
  /** Builds each request; `tag` comes back to `onResponse` with that request's response. */
  readonly next: () => BenchRequest & { readonly tag?: number };
  readonly onResponse?: (status: number, headers: Readonly<Record<string, string>>, tag: number | undefined) => void;
}

/** What the server side spent, sampled around a measurement. */
export interface CpuProbe {
  /** The server's Node process. */
  readonly node: number;
  /** The database processes serving it (empty for the in-memory baseline); read before and after. */
  readonly database: () => readonly number[];
}

export interface LoadResult {
  /** 2xx responses. */
  readonly ok: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  readonly errors: number;
  /** Count per HTTP status, to tell what went wrong. */
  readonly statuses: Readonly<Record<string, number>>;
  /** The first few non-2xx responses (status and the start of the body). */
  readonly errorSamples: readonly string[];
  readonly seconds: number;
  /** 2xx responses per second. */
  readonly opsPerSec: number;
  /** Latency of the 2xx responses, ms. */
  readonly p50: number;
  readonly p99: number;
  /** Server CPU time per 2xx response, µs: the Node process, and the database backends. */
  readonly nodeCpuUs: number;
  readonly dbCpuUs: number;
  /**
   * Share of the machine's CPU that processes other than the server, its database and this
   * load generator used meanwhile: above a few percent, the row was disturbed.
   */
  readonly otherCpuShare: number;
}

/** How many non-2xx responses a row keeps to show what went wrong. */
export const ERROR_SAMPLES = 3;

/** A warm-up (discarded), then the measured run; load from autocannon in this process, pipelining 1. */
export async function measure(spec: LoadSpec, warmupSeconds: number, seconds: number, cpu: CpuProbe): Promise<LoadResult> {
  if (warmupSeconds > 0) await run(spec, warmupSeconds);
  return measureRun(() => run(spec, seconds), cpu);
}

/** Runs a load of any shape (autocannon, whole bundles, one search at a time) and adds the server CPU it cost. */
export async function measureRun<R extends RunResult>(load: () => Promise<R>, cpu: CpuProbe): Promise<R & ServerCpu> {
  const before = new Map(cpu.database().map((pid) => [pid, cpuMs(pid)]));
  const nodeBefore = cpuMs(cpu.node);
  const machineBefore = machineBusyMs();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  const result = await load();
  const wallMs = performance.now() - started;
  const own = process.cpuUsage(ownBefore);
  const machine = machineBusyMs() - machineBefore;
  const server = cpuMs(cpu.node) - nodeBefore;
  // Backends started meanwhile (autovacuum workers, new pool connections) count from zero;
  // one that exited meanwhile took its CPU time with it.
  const database = [...new Set([...before.keys(), ...cpu.database()])].reduce(
    (sum, pid) => sum + Math.max(0, cpuMs(pid) - (before.get(pid) ?? 0)),
    0,
  );
  const perOp = (ms: number): number => (result.ok === 0 ? Number.NaN : (ms * 1000) / result.ok);
  const other = machine - server - database - (own.user + own.system) / 1000;
  return {
    ...result,
    nodeCpuUs: perOp(server),
    dbCpuUs: perOp(database),
    otherCpuShare: Math.max(0, other) / (wallMs * cpus().length),
  };
}

export type ServerCpu = Pick<LoadResult, 'nodeCpuUs' | 'dbCpuUs' | 'otherCpuShare'>;
export type RunResult = Omit<LoadResult, keyof ServerCpu>;

async function run(spec: LoadSpec, seconds: number): Promise<RunResult> {
  // Latencies recorded here rather than from autocannon's histogram, which keeps whole milliseconds.
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        pipelining: 1,
        duration: seconds,
        headers: { accept: 'application/fhir+json' },
        ...(spec.tls === undefined ? {} : { servername: spec.tls.servername, tlsOptions: { ca: spec.tls.ca, cert: spec.tls.cert, key: spec.tls.key } }),
        requests: [
          {
            setupRequest: (req, context) => {
              const r = spec.next();
              (context as { tag?: number }).tag = r.tag;
              return {
                ...req,
                method: r.method,
                path: r.path,
                ...(r.body === undefined ? {} : { body: r.body }),
                headers: {
                  ...req.headers,
                  ...(r.body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
                  ...r.headers,
                },
              };
            },
            onResponse: (status, body, context, headers) => {
              if ((status < 200 || status > 299) && errorSamples.length < ERROR_SAMPLES) {
                errorSamples.push(`${status} ${body.slice(0, 300)}`);
              }
              spec.onResponse?.(status, (headers ?? {}) as Record<string, string>, (context as { tag?: number }).tag);
            },
          },
        ],
      },
      (err: unknown, res: autocannon.Result) => (err === null || err === undefined ? resolve(res) : reject(err as Error)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status <= 299) latencies.push(ms);
    });
  });
  // autocannon's `errors` are connection errors, its timeouts included.
  return runResult({ latencies, statuses, errorSamples, connectionErrors: result.errors, seconds: result.duration });
}

/** A run of single requests (ops are 2xx responses) from what was recorded of each. */
export function runResult(run: {
  /** ms, of the 2xx responses. */
  readonly latencies: readonly number[];
  readonly statuses: Readonly<Record<string, number>>;
  readonly errorSamples: readonly string[];
  readonly connectionErrors: number;
  readonly seconds: number;
}): RunResult {
  const ok = run.latencies.length;
  const non2xx = Object.entries(run.statuses).reduce((n, [s, count]) => (s.startsWith('2') ? n : n + count), 0);
  const sorted = Float64Array.from(run.latencies).sort();
  return {
    ok,
    errors: non2xx + run.connectionErrors,
    statuses: run.statuses,
    errorSamples: run.errorSamples,
    seconds: run.seconds,
    opsPerSec: ok / run.seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}
