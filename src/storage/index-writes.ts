import type { PendingQuery, Row, Sql } from 'postgres';
import { columnsOf, INDEX_TABLE_NAMES, INDEX_TABLES, type IndexTable } from '../search/index/index-tables.js';
import type { IndexRows } from '../search/index/extract-rows.js';

/**
 * SQL fragments that write search index rows inside a resource write's single statement.
 * Every table appears in every statement (an empty array inserts nothing), so each write
 * kind is one prepared statement whatever the resource indexes.
 */

/** `, ix_<table> as (insert …)` for rows of ONE resource whose rid comes from CTE `source`. */
export function insertIndexRows(sql: Sql, source: string, rows: IndexRows): PendingQuery<Row[]> {
  return INDEX_TABLE_NAMES.reduce((acc, table) => {
    const cols = columnsOf(table).map(String);
    return sql`${acc}, ${sql.unsafe(`ix_${table}`)} as (
      insert into ${sql.unsafe(table)} (rid, param, ${sql.unsafe(cols.join(', '))})
      select s.rid, x.param, ${sql.unsafe(cols.map((c) => `x.${c}`).join(', '))}
      from ${sql.unsafe(source)} s, unnest(${rows[table].params}::int[], ${arrays(sql, table, rows)}) as x(param, ${sql.unsafe(cols.join(', '))}))`;
  }, sql``);
}

/** The same for many resources: each row carries its resource's id, joined to CTE `source` (rid, id). */
export function insertIndexRowsOfMany(sql: Sql, source: string, ids: Readonly<Record<IndexTable, string[]>>, rows: IndexRows): PendingQuery<Row[]> {
  return INDEX_TABLE_NAMES.reduce((acc, table) => {
    const cols = columnsOf(table).map(String);
    return sql`${acc}, ${sql.unsafe(`ix_${table}`)} as (
      insert into ${sql.unsafe(table)} (rid, param, ${sql.unsafe(cols.join(', '))})
      select s.rid, x.param, ${sql.unsafe(cols.map((c) => `x.${c}`).join(', '))}
      from unnest(${ids[table]}::text[], ${rows[table].params}::int[], ${arrays(sql, table, rows)}) as x(id, param, ${sql.unsafe(cols.join(', '))})
      join ${sql.unsafe(source)} s on s.id = x.id)`;
  }, sql``);
}

/** `, dx_<table> as (delete …)` of every index row of the resources whose rid CTE `source` returns. */
export function deleteIndexRows(sql: Sql, source: string): PendingQuery<Row[]> {
  return INDEX_TABLE_NAMES.reduce(
    (acc, table) => sql`${acc}, ${sql.unsafe(`dx_${table}`)} as (delete from ${sql.unsafe(table)} where rid in (select rid from ${sql.unsafe(source)}))`,
    sql``,
  );
}

function arrays(sql: Sql, table: IndexTable, rows: IndexRows): PendingQuery<Row[]> {
  const types = INDEX_TABLES[table] as Readonly<Record<string, string>>;
  const list = rows[table].rows as readonly Readonly<Record<string, string | null>>[];
  return columnsOf(table)
    .map(String)
    .reduce<PendingQuery<Row[]> | undefined>((acc, col) => {
      const values = list.map((r) => r[col] ?? null);
      // Sent as text: postgres.js would turn timestamptz strings into Dates, and 'infinity' is none.
      const type = types[col] as string;
      const param = sql`${values as string[]}::text[]${sql.unsafe(type === 'text' ? '' : `::${type}[]`)}`;
      return acc === undefined ? param : sql`${acc}, ${param}`;
    }, undefined) as PendingQuery<Row[]>;
}
