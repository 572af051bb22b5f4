import type { PendingQuery, Row, Sql } from 'postgres';
import { columnsOf, INDEX_TABLE_NAMES, INDEX_TABLES, type IndexTable } from '../search/index/index-tables.js';
import { emptyIndexRows, type IndexRows } from '../search/index/extract-rows.js';

/**
 * SQL fragments that write search index rows inside a resource write's single statement. Each
 * table's rows travel as ONE JSON parameter that `json_to_recordset` unpacks on the server:
 * cheaper on both sides than an array parameter per column. Every table appears in every
 * statement (an empty list inserts nothing), so each write kind is one prepared statement
 * whatever the resource indexes.
 */

/** `, ix_<table> as (insert …)` for the rows of ONE resource whose rid comes from CTE `source`. */
export function insertIndexRows(sql: Sql, source: string, rows: IndexRows): PendingQuery<Row[]> {
  return INDEX_TABLE_NAMES.reduce(
    (acc, table) => sql`${acc}, ${sql.unsafe(`ix_${table}`)} as (
      insert into ${sql.unsafe(table)} (rid, param, ${sql.unsafe(columnList(table))})
      select s.rid, x.param, ${sql.unsafe(columnList(table, 'x.'))}
      from ${sql.unsafe(source)} s, json_to_recordset(${JSON.stringify(rows[table])}::text::json) as x(${sql.unsafe(recordType(table))}))`,
    sql``,
  );
}

/** The same for many resources: each row carries its resource's `id`, joined to CTE `source` (rid, id). */
export function insertIndexRowsOfMany(sql: Sql, source: string, rows: IndexRows): PendingQuery<Row[]> {
  return INDEX_TABLE_NAMES.reduce(
    (acc, table) => sql`${acc}, ${sql.unsafe(`ix_${table}`)} as (
      insert into ${sql.unsafe(table)} (rid, param, ${sql.unsafe(columnList(table))})
      select s.rid, x.param, ${sql.unsafe(columnList(table, 'x.'))}
      from json_to_recordset(${JSON.stringify(rows[table])}::text::json) as x(id text, ${sql.unsafe(recordType(table))})
      join ${sql.unsafe(source)} s on s.id = x.id)`,
    sql``,
  );
}

/** `, dx_<table> as (delete …)` of every index row of the resources whose rid CTE `source` returns. */
export function deleteIndexRows(sql: Sql, source: string): PendingQuery<Row[]> {
  return INDEX_TABLE_NAMES.reduce(
    (acc, table) => sql`${acc}, ${sql.unsafe(`dx_${table}`)} as (delete from ${sql.unsafe(table)} where rid in (select rid from ${sql.unsafe(source)}))`,
    sql``,
  );
}

/** Replaces the index rows of already stored resources (reindex); each row carries its resource's `rid`. */
export async function replaceIndexRows(sql: Sql, rids: readonly string[], rows: IndexRows): Promise<void> {
  for (const table of INDEX_TABLE_NAMES) {
    await sql`delete from ${sql.unsafe(table)} where rid = any(${rids as string[]}::bigint[])`;
    await sql`
      insert into ${sql.unsafe(table)} (rid, param, ${sql.unsafe(columnList(table))})
      select x.rid, x.param, ${sql.unsafe(columnList(table, 'x.'))}
      from json_to_recordset(${JSON.stringify(rows[table])}::text::json) as x(rid bigint, ${sql.unsafe(recordType(table))})`;
  }
}

function columnList(table: IndexTable, prefix = ''): string {
  return columnsOf(table)
    .map((c) => `${prefix}${String(c)}`)
    .join(', ');
}

/** `param int, system text, …`: the record a table's JSON rows unpack to. */
function recordType(table: IndexTable): string {
  const types = INDEX_TABLES[table] as Readonly<Record<string, string>>;
  return ['param int', ...columnsOf(table).map((c) => `${String(c)} ${types[c as string] as string}`)].join(', ');
}

/** Many resources' index rows as one set, each row tagged with its resource (`{ id }` or `{ rid }`). */
export function mergeIndexRows(items: readonly { readonly tag: Readonly<Record<string, string>>; readonly rows: IndexRows }[]): IndexRows {
  const merged = emptyIndexRows();
  for (const { tag, rows } of items) {
    for (const table of INDEX_TABLE_NAMES) {
      const into = merged[table] as object[];
      for (const row of rows[table]) into.push(Object.assign(row, tag));
    }
  }
  return merged;
}
