import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';
import type { AccessScope } from '../access/scope.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { readPredicate } from './scope-sql.js';
import type { HistoryEntry, HistoryPage, HistoryQuery } from './types.js';

export interface HistoryRow {
  seq: string;
  type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  method: HistoryEntry['method'];
  content: string | null;
  patient_id: string | null;
}

/** A position in history order: the last entry of a page, as (lastUpdated, seq). */
export interface Cursor {
  readonly lastUpdated: Date;
  readonly seq: string;
}

/**
 * One page of history, newest first by lastUpdated (R4 §3.1.0.10) with seq breaking ties: at
 * type and system level a single backward range scan of (tenant, [type,] last_updated, seq)
 * that `_since` bounds below and the cursor bounds above; at instance level the primary key.
 */
export async function readHistory(db: Sql | TransactionSql, scope: AccessScope, query: HistoryQuery): Promise<HistoryPage> {
  const sql = db as Sql;
  const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  const rows = await historyPageQuery(sql, scope, query, cursor);
  const page = rows.slice(0, query.count);
  const last = page[page.length - 1];
  const more = rows.length > query.count;
  let total: number | undefined;
  if (!more && cursor === undefined) total = page.length;
  else if (query.id !== undefined) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from resource_history h ${filters(sql, scope, query)}`;
    total = row?.n;
  }
  return {
    entries: page.map((r) => ({
      type: r.type,
      id: r.id,
      versionId: r.version_id,
      lastUpdated: r.last_updated,
      deleted: r.method === 'DELETE',
      json: r.content,
      method: r.method,
      patientId: r.patient_id,
    })),
    ...(total === undefined ? {} : { total }),
    ...(more && last !== undefined ? { next: formatCursor({ lastUpdated: last.last_updated, seq: last.seq }) } : {}),
  };
}

/** The page's statement (count + 1 rows, to know whether another page follows); exported for EXPLAIN tests. */
export function historyPageQuery(sql: Sql, scope: AccessScope, query: HistoryQuery, cursor: Cursor | undefined): PendingQuery<HistoryRow[]> {
  return sql<HistoryRow[]>`
    select h.seq, h.type, h.id, h.version_id, h.last_updated, h.method, h.content,
      (select p.patient_id from resources p where p.rid = h.rid) as patient_id
    from resource_history h ${filters(sql, scope, query)}
    ${cursor === undefined ? sql`` : sql`and (h.last_updated, h.seq) < (${cursor.lastUpdated}::timestamptz, ${cursor.seq}::bigint)`}
    order by h.last_updated desc, h.seq desc
    limit ${query.count + 1}`;
}

function filters(sql: Sql, scope: AccessScope, query: HistoryQuery): PendingQuery<Row[]> {
  // Instance history is part of read (SMART `r`); type and system history of search (`s`).
  const pred = readPredicate(sql, scope, 'r', { interaction: query.id === undefined ? 'search' : 'read', types: query.type === undefined ? undefined : [query.type] });
  return sql`
    ${pred === undefined ? sql`` : sql`join resources r on r.rid = h.rid and ${pred}`}
    where h.tenant = 0
    ${query.type === undefined ? sql`` : sql`and h.type = ${query.type}`}
    ${query.id === undefined ? sql`` : sql`and h.id = ${query.id}`}
    ${query.since === undefined ? sql`` : sql`and h.last_updated > ${query.since}`}
    ${query.before === undefined ? sql`` : sql`and h.last_updated <= ${query.before}`}`;
}

/** `<epoch ms>.<seq>`: stored times have millisecond precision (FHIR instants as Fhirkeep writes them). */
function formatCursor(cursor: Cursor): string {
  return `${cursor.lastUpdated.getTime()}.${cursor.seq}`;
}

export function parseCursor(text: string): Cursor {
  const match = /^(\d{1,15})\.(\d{1,18})$/.exec(text);
  if (match === null) throw new FhirkeepError('invalid-parameter', 'The paging cursor is not valid');
  return { lastUpdated: new Date(Number(match[1])), seq: match[2] as string };
}
