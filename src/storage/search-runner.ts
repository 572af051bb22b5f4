import type { Sql } from 'postgres';
import type { AccessScope } from '../access/scope.js';
import type { Clause, IncludeSpec, SearchQuery } from '../search/query/search-query.js';
import { clauseSql, type ScopeFilter } from '../search/sql/clause-sql.js';
import { all, paramIs } from '../search/sql/fragments.js';
import { q, raw, render, type SqlText } from '../search/sql/sql-text.js';
import { decodeCursor, encodeCursor, type SearchCursor } from '../search/sql/search-cursor.js';
import { orderBy } from '../search/sql/sort-sql.js';
import { referenceRidsSql } from '../search/types/reference-match.js';
import { readCondition } from './scope-sql.js';
import type { SearchPage } from './types.js';
import { toVersion, type VersionRow } from './version-row.js';

interface Found extends VersionRow {
  rid: string;
}

const COLUMNS = raw('r.rid, r.type, r.id, r.version_id, r.last_updated, r.deleted, r.content, r.patient_id');

/** Runs assembled search SQL; the pool's unnamed statements are planned for these values. */
function exec<T>(sql: Sql, query: SqlText): Promise<T[]> {
  const { text, params } = render(query);
  return sql.unsafe(text, params as never[]) as unknown as Promise<T[]>;
}

/**
 * Runs a parsed search: one SQL query for the page (every clause an index lookup, the scope's
 * read rule applied to the results and to every row a chain or `_has` reaches), then the total
 * if asked, then includes (scoped the same way).
 */
export async function runSearch(sql: Sql, scope: AccessScope, query: SearchQuery): Promise<SearchPage> {
  const scopeOf = searchFilter(scope);
  const selection = selectionOf(scopeOf, query);
  const total = await totalOf(sql, selection, query);
  if (query.count === 0 || query.summary === 'count') return { matches: [], included: [], ...(total === undefined ? {} : { total }) };

  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  let rows = await exec<Found>(sql, pageSql(selection, query, cursor));
  let next: string | undefined;
  let prev: string | undefined;
  const more = rows.length > query.count;
  rows = rows.slice(0, query.count);
  if (query.sort.length === 0) {
    const backward = cursor?.kind === 'before';
    if (backward) rows.reverse();
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (last !== undefined && (backward || more)) next = encodeCursor({ kind: 'after', rid: last.rid });
    if (first !== undefined && (backward ? more : cursor !== undefined)) prev = encodeCursor({ kind: 'before', rid: first.rid });
  } else {
    const offset = cursor?.kind === 'offset' ? cursor.offset : 0;
    if (more) next = encodeCursor({ kind: 'offset', offset: offset + query.count });
    if (offset > 0) prev = encodeCursor({ kind: 'offset', offset: Math.max(0, offset - query.count) });
  }

  const included = await includes(sql, scopeOf, query, rows, query.includeLimit);
  // A first page without a next one holds the whole answer: its size is the total, for free.
  const known = total ?? (query.total === undefined && cursor === undefined && next === undefined ? rows.length : undefined);
  return {
    matches: rows.map(toVersion),
    included: included.map(toVersion),
    ...(known === undefined ? {} : { total: known }),
    ...(next === undefined ? {} : { next }),
    ...(prev === undefined ? {} : { prev }),
  };
}

/** The SQL of a search's first page, for EXPLAIN tests of the query shapes that must stay index scans. */
export function searchPageSql(scope: AccessScope, query: SearchQuery): SqlText {
  return pageSql(selectionOf(searchFilter(scope), query), query, undefined);
}

/** The scope's read rule for every row a search reaches, given the types the row is known to have. */
function searchFilter(scope: AccessScope): ScopeFilter {
  return (alias, types) => readCondition(scope, alias, { interaction: 'search', types });
}

/**
 * What a search selects from. A clause naming specific local resources (`patient=123`,
 * `subject=Patient/123`) drives the query: its rows (one patient's: hundreds) are materialised
 * as `d` first, and every other clause probes them as a scalar subquery, which the planner
 * cannot turn into a join hashing all of that clause's (many) index rows. Left to itself it may
 * instead walk the whole type in key order hoping a page fills early, which for one patient's
 * `category=laboratory` at a million resources is a full scan.
 */
interface Selection {
  /** `with d as materialized (…)`, or nothing. */
  readonly with: SqlText;
  readonly from: SqlText;
  readonly where: SqlText;
  /**
   * `d`: the selection yields rids only, and a page fetches resource rows for its own rids
   * alone. So it is when the driver's rows need no other column: the remaining clauses are
   * index lookups, the scope adds no condition and nothing sorts by a resource column. (The
   * driver's rows are, by construction, of the searched types, current and not deleted: index
   * rows go with their resource.) `r` otherwise.
   */
  readonly keyed: 'd' | 'r';
}

/** Clauses that read only the rid of the row they test (index lookups), not its other columns. */
const RID_ONLY = new Set<Clause['kind']>(['token', 'token-text', 'string', 'date', 'number', 'quantity', 'reference', 'uri', 'composite', 'missing', 'chain']);

function selectionOf(scopeOf: ScopeFilter, query: SearchQuery): Selection {
  const driving = query.clauses.find((c): c is Extract<Clause, { kind: 'reference' }> => c.kind === 'reference' && c.values.every((v) => v.kind === 'local'));
  const others = query.clauses.filter((c) => c !== driving);
  const pred = scopeOf('r', query.types);
  if (driving === undefined) {
    const conditions = [...resourceConditions(query), ...others.map((c) => clauseSql('r', c, scopeOf))];
    return { with: q``, from: q`resources r`, where: all(pred === undefined ? conditions : [...conditions, pred]), keyed: 'r' };
  }
  const cte = q`with d as materialized (${referenceRidsSql(driving.param.keys, driving.values)})`;
  if (pred === undefined && query.sort.length === 0 && others.every((c) => RID_ONLY.has(c.kind))) {
    return { with: cte, from: q`d`, where: all(others.map((c) => q`(select ${clauseSql('d', c, scopeOf)})`)), keyed: 'd' };
  }
  // The rid-only clauses still narrow the referencing rows before any resources row is read; the
  // rest, and the scope, test the rows that remain (a patient's 400 Observations become the 4 with
  // the code, not 400 row lookups).
  const ridOnly = others.filter((c) => RID_ONLY.has(c.kind));
  const narrowed = ridOnly.length === 0 ? q`d` : q`(select d.rid from d where ${all(ridOnly.map((c) => q`(select ${clauseSql('d', c, scopeOf)})`))}) n`;
  const conditions = [...resourceConditions(query), ...others.filter((c) => !RID_ONLY.has(c.kind)).map((c) => q`(select ${clauseSql('r', c, scopeOf)})`)];
  const rid = ridOnly.length === 0 ? q`d.rid` : q`n.rid`;
  return { with: cte, from: q`${narrowed} join resources r on r.rid = ${rid}`, where: all(pred === undefined ? conditions : [...conditions, pred]), keyed: 'r' };
}

/** The row is a current resource of a searched type. */
function resourceConditions(query: SearchQuery): SqlText[] {
  return [q`r.tenant = 0`, query.types.length === 1 ? q`r.type = ${query.types[0] as string}` : q`r.type = any(${query.types as string[]}::text[])`, q`not r.deleted`];
}

/** One page plus one row (to know whether another page follows), from the cursor's position. */
function pageSql(selection: Selection, query: SearchQuery, cursor: SearchCursor | undefined): SqlText {
  const { with: cte, from, where, keyed } = selection;
  if (query.sort.length > 0) {
    const offset = cursor?.kind === 'offset' ? cursor.offset : 0;
    return q`${cte}
      select ${COLUMNS} from ${from} where ${where}
      order by ${orderBy(query.sort)} limit ${query.count + 1} offset ${offset}`;
  }
  // Keyset on the rid: a deep page costs what the first does.
  const key = raw(`${keyed}.rid`);
  const backward = cursor?.kind === 'before';
  const bound = cursor === undefined || cursor.kind === 'offset' ? q`` : backward ? q`and ${key} < ${cursor.rid}::bigint` : q`and ${key} > ${cursor.rid}::bigint`;
  const dir = raw(backward ? 'desc' : 'asc');
  if (keyed === 'r') return q`${cte} select ${COLUMNS} from ${from} where ${where} ${bound} order by r.rid ${dir} limit ${query.count + 1}`;
  return q`${cte}
    select ${COLUMNS} from resources r
    where r.rid in (select d.rid from d where ${where} ${bound} order by d.rid ${dir} limit ${query.count + 1})
    order by r.rid ${dir}`;
}

/**
 * Bundle.total: `accurate` counts, `estimate` asks the planner, `none` omits it; without
 * `_total` it is given when it costs nothing (the whole answer fits on an unpaged first page).
 */
async function totalOf(sql: Sql, selection: Selection, query: SearchQuery): Promise<number | undefined> {
  const { with: cte, from, where } = selection;
  const mode = query.summary === 'count' || query.count === 0 ? (query.total === 'estimate' ? 'estimate' : 'accurate') : query.total;
  if (mode === 'accurate') {
    const [row] = await exec<{ n: string }>(sql, q`${cte} select count(*) as n from ${from} where ${where}`);
    return Number(row?.n ?? 0);
  }
  if (mode === 'estimate') {
    const [row] = await exec<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(sql, q`explain (format json) ${cte} select 1 from ${from} where ${where}`);
    return Math.round(row?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
  }
  return undefined;
}

/** `_include` and `_revinclude` (R4 §3.1.1.5.4); `:iterate` ones repeat over what they added, a few rounds at most. */
async function includes(sql: Sql, scopeOf: ScopeFilter, query: SearchQuery, matches: readonly Found[], max: number): Promise<Found[]> {
  if ((query.include.length === 0 && query.revinclude.length === 0) || matches.length === 0) return [];
  const seen = new Set(matches.map((m) => m.rid));
  const out: Found[] = [];
  const add = (rows: readonly Found[]): Found[] => {
    const fresh = rows.filter((r) => !seen.has(r.rid)).slice(0, Math.max(0, max - out.length));
    for (const r of fresh) seen.add(r.rid);
    out.push(...fresh);
    return fresh;
  };
  const round = async (specs: readonly IncludeSpec[], revSpecs: readonly IncludeSpec[], from: readonly Found[]): Promise<Found[]> => {
    const added: Found[] = [];
    for (const spec of specs) added.push(...add(await included(sql, scopeOf, spec, from, max)));
    for (const spec of revSpecs) added.push(...add(await revIncluded(sql, scopeOf, spec, from, max)));
    return added;
  };
  let fresh = await round(query.include, query.revinclude, matches);
  const iterInclude = query.include.filter((s) => s.iterate);
  const iterRev = query.revinclude.filter((s) => s.iterate);
  for (let i = 0; i < 3 && fresh.length > 0 && (iterInclude.length > 0 || iterRev.length > 0) && out.length < max; i++) {
    fresh = await round(iterInclude, iterRev, fresh);
  }
  return out;
}

function included(sql: Sql, scopeOf: ScopeFilter, spec: IncludeSpec, from: readonly Found[], max: number): Promise<Found[]> {
  const sources = from.filter((f) => spec.sourceType === '*' || f.type === spec.sourceType).map((f) => f.rid);
  if (sources.length === 0 || spec.keys.length === 0) return Promise.resolve([]);
  const pred = scopeOf('r', spec.targetType === undefined ? undefined : [spec.targetType]);
  return exec<Found>(sql, q`
    select ${COLUMNS} from resources r
    where r.tenant = 0 and not r.deleted ${pred === undefined ? q`` : q`and ${pred}`}
      and (r.type, r.id) in (
        select x.target_type, x.target_id from search_reference x
        where x.rid = any(${sources}::bigint[]) and ${paramIs(spec.keys)} and x.target_id is not null
          ${spec.targetType === undefined ? q`` : q`and x.target_type = ${spec.targetType}`})
    limit ${max}`);
}

function revIncluded(sql: Sql, scopeOf: ScopeFilter, spec: IncludeSpec, from: readonly Found[], max: number): Promise<Found[]> {
  const targets = from.filter((f) => spec.targetType === undefined || f.type === spec.targetType);
  if (targets.length === 0 || spec.keys.length === 0) return Promise.resolve([]);
  const pred = scopeOf('r', [spec.sourceType]);
  return exec<Found>(sql, q`
    select ${COLUMNS} from resources r
    where r.tenant = 0 and not r.deleted and r.type = ${spec.sourceType} ${pred === undefined ? q`` : q`and ${pred}`}
      and r.rid in (
        select x.rid from search_reference x
        join unnest(${targets.map((t) => t.type)}::text[], ${targets.map((t) => t.id)}::text[]) as t(type, id)
          on x.target_id = t.id and x.target_type = t.type
        where ${paramIs(spec.keys)})
    limit ${max}`);
}
