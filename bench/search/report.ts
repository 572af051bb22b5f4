import type { ServerCpu } from '../load.js';
import { errorLines, formatTable, type Goal } from '../report.js';
import type { Row } from '../workloads.js';
import type { PagingResult } from './paging.js';
import type { Targets } from './queries.js';
import type { SequentialResult } from './sequential.js';

export interface SearchRow extends SequentialResult, ServerCpu {
  readonly name: string;
  readonly targets: Targets;
}

/** Page N within ±20 % of page 1: paging by keyset, not by offset. */
export const PAGING_TOLERANCE = 0.2;

/** The load and what followed it, for the lines under the rows. */
export interface LoadSummary {
  readonly row: Row;
  readonly vacuumSeconds: number;
}

/** One row's targets, judged; a row with errors meets none. */
export function rowGoals(row: SearchRow): Goal[] {
  const goals: Goal[] = [];
  for (const q of ['p50', 'p99'] as const) {
    const limit = row.targets[q];
    if (limit === undefined) continue;
    goals.push({ goal: `${row.name}: ${q} ≤ ${limit} ms`, value: `${row[q].toFixed(2)} ms`, met: row[q] <= limit && row.errors === 0 });
  }
  return goals;
}

export function pagingGoal(paging: PagingResult): Goal {
  return {
    goal: `paging: page ${paging.pages} within ±${PAGING_TOLERANCE * 100}% of page 1 (p50)`,
    value: `${paging.ratio.toFixed(2)}×`,
    met: Math.abs(paging.ratio - 1) <= PAGING_TOLERANCE && paging.failures.length === 0,
  };
}

export function judgeSearch(rows: readonly SearchRow[], paging: PagingResult | undefined): Goal[] {
  return [...rows.flatMap(rowGoals), ...(paging === undefined ? [] : [pagingGoal(paging)])];
}

const HEADER = ['workload', 'ops/s', 'unit', 'p50 ms', 'p90 ms', 'p99 ms', 'hits', 'errors', 'node µs/op', 'db µs/op', 'other CPU', 'target'];

/** The load, each search shape, the paging walk: the main table's columns, plus p90 and hits per page. */
export function renderSearchTable(load: LoadSummary, rows: readonly SearchRow[], paging: PagingResult | undefined): string {
  const num = (n: number, digits: number): string => (Number.isNaN(n) ? '' : n.toFixed(digits));
  const errors = (n: number): string => (n === 0 ? '0' : `${n} !`);
  const cpu = (r: ServerCpu): string[] => [num(r.nodeCpuUs, 0), num(r.dbCpuUs, 0), `${(r.otherCpuShare * 100).toFixed(0)}%`];
  const { row: ingest } = load;
  const loadSection = [
    [ingest.name, num(ingest.opsPerSec, 0), ingest.unit, num(ingest.p50, 2), '', num(ingest.p99, 2), '', errors(ingest.errors), ...cpu(ingest), '(per bundle)'],
  ];
  const searchSection = rows.map((r) => [
    r.name,
    num(r.opsPerSec, 0),
    'req/s',
    num(r.p50, 2),
    num(r.p90, 2),
    num(r.p99, 2),
    num(r.meanHits, 1),
    errors(r.errors),
    ...cpu(r),
    marks(rowGoals(r)),
  ]);
  const pagingSection =
    paging === undefined
      ? []
      : [
          pageRow('paging: page 1', paging.firstPage, paging.walks),
          pageRow(`paging: page ${paging.pages}, following next links`, paging.lastPage, paging.walks - paging.failures.length),
        ];
  const extra = [
    ['load: wall time', ingest.seconds.toFixed(0), 's', ''],
    ['VACUUM (ANALYZE) after the load', load.vacuumSeconds.toFixed(1), 's', '(information: what autovacuum does on its own later)'],
    ...(paging === undefined ? [] : [[`paging: page ${paging.pages} ÷ page 1 (p50)`, paging.ratio.toFixed(2), '×', marks([pagingGoal(paging)])]]),
  ].map(([name = '', value = '', unit = '', goal = '']) => [name, value, unit, '', '', '', '', '', '', '', '', goal]);
  const sections = [loadSection, searchSection, pagingSection, extra].filter((s) => s.length > 0);
  const stopped = paging?.failures ?? [];
  const pagingFailures = stopped.length === 0 ? [] : [`! paging: ${stopped.length} of ${paging?.walks ?? 0} walks stopped early; first: ${stopped.slice(0, 3).join(' | ')}`];
  return [formatTable(HEADER, sections), ...errorLines([ingest, ...rows]), ...pagingFailures].join('\n');
}

function pageRow(name: string, l: { p50: number; p90: number; p99: number }, walks: number): string[] {
  const num = (n: number): string => (Number.isNaN(n) ? '' : n.toFixed(2));
  return [name, '', '', num(l.p50), num(l.p90), num(l.p99), '', '', '', '', '', `(${walks} walks)`];
}

function marks(goals: readonly Goal[]): string {
  return goals.map((g) => `${g.met ? 'met' : 'MISSED'}: ${g.goal.slice(g.goal.lastIndexOf(': ') + 2)}`).join('; ');
}
