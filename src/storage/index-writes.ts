import type { Sql } from 'postgres';
import { columnsOf, INDEX_TABLE_NAMES, INDEX_TABLES, type IndexTable } from '../search/index/index-tables.js';
import { emptyIndexRows, type IndexRows } from '../search/index/extract-rows.js';

/**
 * SQL text that writes search index rows inside a resource write's single statement, built
 * once: each table's rows travel as ONE JSON parameter that `json_to_recordset` unpacks on the
 * server (cheaper on both sides than an array parameter per column), and the statements are
 * fixed text, so postgres.js prepares them once per connection instead of assembling dozens of
 * fragments per write (about 10 µs each). Every table appears in every statement; an empty
 * list inserts nothing.
 */

/** `, ix_<table> as (insert …)` for ONE resource whose rid comes from CTE `source`; the tables' JSON are `$first`, `$first+1`, … */
export function insertIndexRowsText(source: string, first: number): string {
  return INDEX_TABLE_NAMES.map(
    (table, i) => `, ix_${table} as (
      insert into ${table} (rid, param, ${columnList(table)})
      select s.rid, x.param, ${columnList(table, 'x.')}
      from ${source} s, json_to_recordset($${first + i}::text::json) as x(${recordType(table)}))`,
  ).join('');
}

/** The same for many resources: each row carries its resource's `id`, joined to CTE `source` (rid, id). */
export function insertIndexRowsOfManyText(source: string, first: number): string {
  return INDEX_TABLE_NAMES.map(
    (table, i) => `, ix_${table} as (
      insert into ${table} (rid, param, ${columnList(table)})
      select s.rid, x.param, ${columnList(table, 'x.')}
      from json_to_recordset($${first + i}::text::json) as x(id text, ${recordType(table)})
      join ${source} s on s.id = x.id)`,
  ).join('');
}

/** `, dx_<table> as (delete …)` of every index row of the resources whose rid CTE `source` returns. */
export function deleteIndexRowsText(source: string): string {
  return INDEX_TABLE_NAMES.map((table) => `, dx_${table} as (delete from ${table} where rid in (select rid from ${source}))`).join('');
}

/** The parameters `insertIndexRowsText` and `insertIndexRowsOfManyText` expect, in table order. */
export function indexRowParams(rows: IndexRows): string[] {
  return INDEX_TABLE_NAMES.map((table) => JSON.stringify(rows[table]));
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
