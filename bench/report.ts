import type { ScopeCompileResult } from './scope-compile.js';
import { TOKEN_JWT, TOKEN_SECRET } from './auth-workloads.js';
import { CREATE, JSON_BASELINE, READ, READ_BEARER, READ_STATIC_KEY, SQL_BASELINE, type Row } from './workloads.js';

export interface StartupResult {
  /** Spawn → /readyz 200 on an empty data directory (creates the cluster); for information. */
  readonly firstStartMs: number;
  /** Spawn → /readyz 200 on the existing data directory, each try. */
  readonly existingStartMs: readonly number[];
  /** VmRSS of the Fhirkeep Node process, idle after the load. */
  readonly idleRssMb: number;
  /** A request's scope compiled, then reused (bench/scope-compile.ts, in this process). */
  readonly scopeCompile: ScopeCompileResult;
}

export interface Goal {
  readonly goal: string;
  readonly value: string;
  readonly met: boolean;
}

/** The bulk-export workload's figures beyond its row (bench/export-workload.ts). */
export interface ExportSummary {
  /** The name of its row in the table (resources/s, kick-off → manifest). */
  readonly row: string;
  readonly resources: number;
  /** NDJSON written, MB (10^6 bytes) per second of the same time. */
  readonly mbPerSec: number;
  readonly bytes: number;
  readonly files: number;
  /** VmRSS of the Fhirkeep Node process just before the kick-off, and its peak until the files were served. */
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
}

/** The bulk-export issue's goals: the rate is for this size, the memory for any. */
export const EXPORT_GOAL_RESOURCES = 1_000_000;
export const EXPORT_GOAL_RATE = 50_000;
export const EXPORT_GOAL_RSS_MB = 300;

/** A goal of the main table, shown on one of its lines: a row's name, or a start-up line. */
export interface LineGoal extends Goal {
  readonly line: string;
}

const READY = 'start on existing data dir → /readyz';
const FIRST_START = 'first start, empty data dir → /readyz';
const IDLE_RSS = 'idle RSS of the Node process after load';
const SCOPE_FIRST = 'scope compilation: first request of a token';
const SCOPE_CACHED = 'scope compilation: each later request';
const EXPORT_WRITTEN = 'export: NDJSON written';
const EXPORT_RSS = 'export: peak RSS of the Node process';

/**
 * The foundation issue's goals, the authorization issue's (4), the service keys issue's (6) and,
 * when the export ran, the bulk-export issue's, judged on this run's numbers.
 */
export function judgeGoals(rows: readonly Row[], startup: StartupResult, exported?: ExportSummary): LineGoal[] {
  const sqlBase = find(rows, SQL_BASELINE);
  const read = find(rows, READ);
  const create = find(rows, CREATE);
  const readBearer = find(rows, READ_BEARER);
  const readStaticKey = find(rows, READ_STATIC_KEY);
  const tokenSecret = find(rows, TOKEN_SECRET);
  const tokenJwt = find(rows, TOKEN_JWT);
  const readShare = read.opsPerSec / sqlBase.opsPerSec;
  const bearerShare = readBearer.opsPerSec / read.opsPerSec;
  const staticKeyShare = readStaticKey.opsPerSec / readBearer.opsPerSec;
  const ready = median(startup.existingStartMs);
  // A workload with errors meets no goal, however fast it was.
  const rate = (row: Row, goal: string, min: number): LineGoal => ({
    line: row.name,
    goal,
    value: `${row.opsPerSec.toFixed(0)} ${row.unit}`,
    met: row.opsPerSec >= min && row.errors === 0,
  });
  return [
    { line: READ, goal: 'read by id ≥ 60% of baseline 2', value: `${(readShare * 100).toFixed(0)}%`, met: readShare >= 0.6 && read.errors === 0 },
    rate(create, 'create ≥ 2,000 res/s at 16 concurrent', 2000),
    {
      line: READ_BEARER,
      goal: 'bearer read ≥ 90% of read by id',
      value: `${(bearerShare * 100).toFixed(0)}%`,
      met: bearerShare >= 0.9 && readBearer.errors === 0 && read.errors === 0,
    },
    {
      line: READ_STATIC_KEY,
      goal: 'static-key read ≥ 95% of bearer read',
      value: `${(staticKeyShare * 100).toFixed(0)}%`,
      met: staticKeyShare >= 0.95 && readStaticKey.errors === 0 && readBearer.errors === 0,
    },
    rate(tokenSecret, 'token (secret) ≥ 1,000/s', 1000),
    rate(tokenJwt, 'token (private_key_jwt) ≥ 500/s', 500),
    { line: READY, goal: 'ready ≤ 2 s on an existing data dir', value: `${(ready / 1000).toFixed(2)} s`, met: ready <= 2000 },
    { line: IDLE_RSS, goal: 'idle RSS ≤ 250 MB after the load', value: `${startup.idleRssMb.toFixed(0)} MB`, met: startup.idleRssMb <= 250 },
    { line: SCOPE_CACHED, goal: 'scope compilation ≤ 0.1 ms per request after the first', value: `${(startup.scopeCompile.cachedMs * 1000).toFixed(1)} µs`, met: startup.scopeCompile.cachedMs <= 0.1 },
    ...(exported === undefined ? [] : exportGoals(find(rows, exported.row), exported)),
  ];
}

/** The rate goal only at its size (a smaller export, --quick's, is information); the memory goal at any. */
function exportGoals(row: Row, exported: ExportSummary): LineGoal[] {
  const rate: LineGoal[] =
    exported.resources >= EXPORT_GOAL_RESOURCES
      ? [
          {
            line: row.name,
            goal: `export ≥ ${EXPORT_GOAL_RATE.toLocaleString('en')} res/s at ${EXPORT_GOAL_RESOURCES.toLocaleString('en')} resources`,
            value: `${row.opsPerSec.toFixed(0)} res/s`,
            met: row.opsPerSec >= EXPORT_GOAL_RATE && row.errors === 0,
          },
        ]
      : [];
  return [
    ...rate,
    {
      line: EXPORT_RSS,
      goal: `export: server RSS < ${EXPORT_GOAL_RSS_MB} MB whatever the export's size`,
      value: `${exported.peakRssMb.toFixed(0)} MB`,
      met: exported.peakRssMb < EXPORT_GOAL_RSS_MB && row.errors === 0,
    },
  ];
}

/** The one table: workloads against both baselines, then start-up and memory, each with its goal. */
export function renderTable(rows: readonly Row[], startup: StartupResult, goals: readonly LineGoal[], exported?: ExportSummary): string {
  const sqlBase = find(rows, SQL_BASELINE).opsPerSec;
  const jsonBase = find(rows, JSON_BASELINE).opsPerSec;
  const notes = new Map<string, string>();
  if (exported !== undefined && exported.resources < EXPORT_GOAL_RESOURCES) {
    notes.set(exported.row, `(information: the goal, ≥ ${EXPORT_GOAL_RATE.toLocaleString('en')} res/s, is judged at ${EXPORT_GOAL_RESOURCES.toLocaleString('en')} resources)`);
  }
  const mark = (line: string): string =>
    goals
      .filter((g) => g.line === line)
      .map((g) => `${g.met ? 'met' : 'MISSED'}: ${g.goal}`)
      .join('; ') || (notes.get(line) ?? '');
  // A row of one long run (the export) has no latency distribution.
  const ms = (value: number): string => (Number.isNaN(value) ? 'n/a' : value.toFixed(2));
  const header = ['workload', 'ops/s', 'unit', 'p50 ms', 'p99 ms', 'errors', '÷ base 2', '÷ base 1', 'node µs/op', 'db µs/op', 'other CPU', 'goal'];
  const body = rows.map((r) => [
    r.name,
    r.opsPerSec.toFixed(0),
    r.unit,
    ms(r.p50),
    ms(r.p99),
    r.errors === 0 ? '0' : `${r.errors} !`,
    (r.opsPerSec / sqlBase).toFixed(2),
    (r.opsPerSec / jsonBase).toFixed(2),
    r.nodeCpuUs.toFixed(0),
    r.name === JSON_BASELINE ? '' : r.dbCpuUs.toFixed(0),
    `${(r.otherCpuShare * 100).toFixed(0)}%`,
    mark(r.name),
  ]);
  const tries = startup.existingStartMs.map((ms) => (ms / 1000).toFixed(2)).join(', ');
  const extra = [
    [READY, (median(startup.existingStartMs) / 1000).toFixed(2), 's', mark(READY) + (startup.existingStartMs.length > 1 ? ` (median of ${tries})` : '')],
    [FIRST_START, (startup.firstStartMs / 1000).toFixed(2), 's', '(information: creates the cluster)'],
    [IDLE_RSS, startup.idleRssMb.toFixed(0), 'MB', mark(IDLE_RSS)],
    [SCOPE_FIRST, startup.scopeCompile.firstMs.toFixed(2), 'ms', '(information: filter parsed, groups resolved, scopes compiled)'],
    [SCOPE_CACHED, (startup.scopeCompile.cachedMs * 1000).toFixed(1), 'µs', mark(SCOPE_CACHED)],
    ...(exported === undefined
      ? []
      : [
          [EXPORT_WRITTEN, exported.mbPerSec.toFixed(1), 'MB/s', `(information: ${(exported.bytes / 1e6).toFixed(0)} MB of NDJSON in ${exported.files} files, over the export row's time)`],
          [EXPORT_RSS, exported.peakRssMb.toFixed(0), 'MB', `${mark(EXPORT_RSS)} (${exported.rssBeforeMb.toFixed(0)} MB before the kick-off)`],
        ]),
  ].map(([name = '', value = '', unit = '', goal = '']) => [name, value, unit, '', '', '', '', '', '', '', '', goal]);
  return [formatTable(header, [body, extra]), ...errorLines(rows)].join('\n');
}

/** Columns aligned (the first and last to the left, numbers to the right), a rule above each section. */
export function formatTable(header: readonly string[], sections: readonly (readonly (readonly string[])[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...sections.flat().map((t) => (t[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), ...sections.flatMap((section) => [rule, ...section.map(line)])].join('\n');
}

/** One line per row with errors: how many, their statuses, and the first responses. */
export function errorLines(rows: readonly Pick<Row, 'name' | 'errors' | 'statuses' | 'errorSamples'>[]): string[] {
  return rows
    .filter((r) => r.errors > 0)
    .map((r) => `! ${r.name}: ${r.errors} errors (statuses ${JSON.stringify(r.statuses)}); first: ${r.errorSamples.join(' | ') || 'connection errors'}`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function find(rows: readonly Row[], name: string): Row {
  const row = rows.find((r) => r.name === name);
  if (row === undefined) throw new Error(`No "${name}" row was measured`);
  return row;
}
