import type { Sql } from 'postgres';
import type { AccessScope } from '../access/scope.js';
import { clauseSql } from '../search/sql/clause-sql.js';
import { all, any } from '../search/sql/fragments.js';
import { q, render, type SqlText } from '../search/sql/sql-text.js';
import { readCondition } from './scope-sql.js';
import type { ExportBatch, ExportSlice } from './types.js';

/** Rows a cursor fetches at a time: about 2 MB of JSON, whatever the export's size. */
const BATCH_ROWS = 1000;

/**
 * The resources of one type an export writes (docs/bulk-export.md), in id order from `afterId`,
 * batch by batch through one cursor, as they were at `transactionTime`: a row changed since
 * then is exported as its version current at that time, one created since then or deleted by
 * then is not. The scope's read rule, the compartment owners and the `_typeFilter`s apply to
 * the row as it is when the job runs, as every other read applies them — so where either may
 * decide, a row changed since the transaction time is left out rather than exported as a
 * version neither was tested on (see sliceSql).
 */
export async function* readExportSlice(sql: Sql, scope: AccessScope, slice: ExportSlice): AsyncGenerator<ExportBatch> {
  const { text, params } = render(sliceSql(scope, slice));
  // Raw: each column as the bytes that came off the socket. The JSON goes to the file as it is,
  // never decoded into a string and encoded again, so a million rows cost no garbage on the heap.
  const cursor = sql.unsafe(text, params as never[]).raw().cursor(BATCH_ROWS) as unknown as AsyncIterable<SliceRow[]>;
  for await (const rows of cursor) {
    const older = rows.filter(([, content]) => content === null).map(([id]) => id.toString());
    const past = older.length === 0 ? new Map<string, Buffer>() : await versionsAt(sql, slice, older);
    const lines: Buffer[] = [];
    for (const [id, content] of rows) {
      const line = content ?? past.get(id.toString());
      if (line !== undefined) lines.push(line);
    }
    const last = rows[rows.length - 1];
    if (last !== undefined) yield { lines, lastId: last[0].toString() };
  }
}

/** A row as raw bytes: its id, and its JSON when the current version is the one to export (else null: look in history). */
type SliceRow = readonly [id: Buffer, content: Buffer | null];

function sliceSql(scope: AccessScope, slice: ExportSlice): SqlText {
  const at = slice.transactionTime;
  const conditions: SqlText[] = [
    q`r.tenant = 0`,
    q`r.type = ${slice.type}`,
    q`r.created_at <= ${at}`,
    // Deleted by the transaction time: gone from the snapshot. Deleted since: exported as it was.
    q`not (r.deleted and r.last_updated <= ${at})`,
  ];
  if (slice.afterId !== undefined) conditions.push(q`r.id > ${slice.afterId}`);
  if (slice.since !== undefined) conditions.push(q`r.last_updated > ${slice.since}`);
  if (slice.patients !== undefined) conditions.push(q`r.patient_id = any(${slice.patients as string[]}::text[])`);
  else if (slice.compartmentOnly) conditions.push(q`r.patient_id is not null`);
  const filter = readCondition(scope, 'r', { interaction: 'search', types: [slice.type] });
  if (filter !== undefined) conditions.push(filter);
  if (slice.filters.length > 0) {
    const scopeOf = (alias: string, types?: readonly string[]) => readCondition(scope, alias, { interaction: 'search', types });
    conditions.push(any(slice.filters.map((clauses) => all(clauses.map((c) => q`(select ${clauseSql('r', c, scopeOf)})`)))));
  }
  // The access columns and index rows these conditions test are the current version's: of a row
  // changed since, the version to export may be another patient's, another code, another label
  // (a delete blanks them). Tested on the wrong version it could leak or miss the _typeFilter, so
  // it is left out (Bulk Data IG: an export SHOULD NOT hold resources modified after transactionTime).
  if (filter !== undefined || slice.filters.length > 0) conditions.push(q`r.last_updated <= ${at}`);
  // Content only where it is the version to export: the rest are looked up in history, a few.
  return q`select r.id, case when r.last_updated <= ${at} then r.content end as content
    from resources r where ${all(conditions)} order by r.id`;
}

/** The versions of `ids` current at the transaction time (changed since): last updated by then, and not a delete. */
async function versionsAt(sql: Sql, slice: ExportSlice, ids: readonly string[]): Promise<Map<string, Buffer>> {
  const rows = await sql<{ id: string; content: string | null; last_updated: Date }[]>`
    select distinct on (id) id, content, last_updated from resource_history
    where tenant = 0 and type = ${slice.type} and id = any(${ids as string[]}::text[]) and last_updated <= ${slice.transactionTime}
    order by id, version_id desc`;
  const found = new Map<string, Buffer>();
  for (const row of rows) {
    if (row.content === null) continue;
    if (slice.since !== undefined && row.last_updated <= slice.since) continue;
    found.set(row.id, Buffer.from(row.content));
  }
  return found;
}

/**
 * The resource types with any row, current or deleted (a row deleted after a snapshot is still
 * exported): what an export of everything goes through, instead of every R4 type in turn.
 */
export async function storedTypes(sql: Sql): Promise<string[]> {
  // A skip scan of the (tenant, type, id) index: one probe per type, however many rows each has.
  const rows = await sql<{ type: string }[]>`
    with recursive t(type) as (
      (select type from resources where tenant = 0 order by type limit 1)
      union all
      select (select r.type from resources r where r.tenant = 0 and r.type > t.type order by r.type limit 1) from t where t.type is not null)
    select type from t where type is not null`;
  return rows.map((r) => r.type).sort();
}
