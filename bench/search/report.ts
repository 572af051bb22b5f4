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

/** Issue 5: a search through an access filter and consents within 10 % of the same search without. */
export const ACCESS_RATIO = 1.1;

/** One search shape run twice on the same requests: with the institution's token, and through a filter and consents. */
export interface AccessPair {
  readonly unfiltered: SearchRow;
  readonly filtered: SearchRow;
}

export function accessGoal(pair: AccessPair): Goal {
  const { unfiltered, filtered } = pair;
  const ratio = filtered.p50 / unfiltered.p50;
  // Both saw the same records (every patient subscribed, the filter covers the types): else the ratio compares different work.
  const sameHits = filtered.meanHits === unfiltered.meanHits;
  return {
    goal: `${unfiltered.name.slice(0, unfiltered.name.lastIndexOf(' · '))}: filter + consents p50 ≤ ${ACCESS_RATIO}× without`,
    value: `${ratio.toFixed(2)}×${sameHits ? '' : ` (hits ${filtered.meanHits.toFixed(1)} vs ${unfiltered.meanHits.toFixed(1)})`}`,
    met: ratio <= ACCESS_RATIO && sameHits && filtered.errors === 0 && unfiltered.errors === 0,
  };
}

export function judgeSearch(rows: readonly SearchRow[], paging: PagingResult | undefined, access: readonly AccessPair[] = []): Goal[] {
  return [...rows.flatMap(rowGoals), ...(paging === undefined ? [] : [pagingGoal(paging)]), ...access.map(accessGoal)];
}

const HEADER = ['workload', 'ops/s', 'unit', 'p50 ms', 'p90 ms', 'p99 ms', 'hits', 'errors', 'node µs/op', 'db µs/op', 'other CPU', 'target'];

/** The load, each search shape, the paging walk: the main table's columns, plus p90 and hits per page. */
export function renderSearchTable(load: LoadSummary, rows: readonly SearchRow[], paging: PagingResult | undefined, access: readonly AccessPair[] = []): string {
  const num = (n: number, digits: number): string => (Number.isNaN(n) ? '' : n.toFixed(digits));
  const errors = (n: number): string => (n === 0 ? '0' : `${n} !`);
  const cpu = (r: ServerCpu): string[] => [num(r.nodeCpuUs, 0), num(r.dbCpuUs, 0), `${(r.otherCpuShare * 100).toFixed(0)}%`];
  const { row: ingest } = load;
  const loadSection = [
    [ingest.name, num(ingest.opsPerSec, 0), ingest.unit, num(ingest.p50, 2), '', num(ingest.p99, 2), '', errors(ingest.errors), ...cpu(ingest), '(per bundle)'],
  ];
  const searchRow = (r: SearchRow, goal: string): string[] => [
    r.name,
    num(r.opsPerSec, 0),
    'req/s',
    num(r.p50, 2),
    num(r.p90, 2),
    num(r.p99, 2),
    num(r.meanHits, 1),
    errors(r.errors),
    ...cpu(r),
    goal,
  ];
  const searchSection = rows.map((r) => searchRow(r, marks(rowGoals(r))));
  const accessSection = access.flatMap((pair) => [searchRow(pair.unfiltered, ''), searchRow(pair.filtered, marks([accessGoal(pair)]))]);
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
  const sections = [loadSection, searchSection, pagingSection, accessSection, extra].filter((s) => s.length > 0);
  const stopped = paging?.failures ?? [];
  const pagingFailures = stopped.length === 0 ? [] : [`! paging: ${stopped.length} of ${paging?.walks ?? 0} walks stopped early; first: ${stopped.slice(0, 3).join(' | ')}`];
  const accessRows = access.flatMap((p) => [p.unfiltered, p.filtered]);
  return [formatTable(HEADER, sections), ...errorLines([ingest, ...rows, ...accessRows]), ...pagingFailures].join('\n');
}

function pageRow(name: string, l: { p50: number; p90: number; p99: number }, walks: number): string[] {
  const num = (n: number): string => (Number.isNaN(n) ? '' : n.toFixed(2));
  return [name, '', '', num(l.p50), num(l.p90), num(l.p99), '', '', '', '', '', `(${walks} walks)`];
}

function marks(goals: readonly Goal[]): string {
  return goals.map((g) => `${g.met ? 'met' : 'MISSED'}: ${g.goal.slice(g.goal.lastIndexOf(': ') + 2)}`).join('; ');
}
