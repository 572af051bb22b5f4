import type { Sql } from 'postgres';

/** A row of `audit_events` as the writer would make it; absent columns take their defaults. */
export interface AuditRowInput {
  readonly recorded?: string;
  readonly type?: string;
  readonly subtype?: string;
  readonly action?: 'C' | 'R' | 'U' | 'D' | 'E';
  readonly outcome?: 0 | 4 | 8 | 12;
  readonly outcomeDesc?: string;
  readonly accountId?: string;
  readonly clientId?: string;
  readonly onBehalfOf?: string;
  readonly ip?: string;
  readonly requestId?: string;
  readonly entity?: readonly string[];
  readonly query?: string;
  readonly patientIds?: readonly string[];
  readonly detail?: Record<string, string | number>;
}

/**
 * Writes trail rows straight into the table, one by one so their ids (`seq`) rise in the order
 * given, as the writer's batches would; resolves to those ids. Defaults: a successful REST read.
 */
export async function insertAuditRows(sql: Sql, rows: readonly AuditRowInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const r of rows) {
    const [row] = await sql<{ seq: string }[]>`
      insert into audit_events (recorded, type, subtype, action, outcome, outcome_desc, account_id, client_id, on_behalf_of, ip, request_id, entity, query, patient_ids, detail)
      values (coalesce(${r.recorded ?? null}::timestamptz, now()), ${r.type ?? 'rest'}, ${r.subtype ?? 'read'}, ${r.action ?? 'R'}, ${r.outcome ?? 0},
              ${r.outcomeDesc ?? null}, ${r.accountId ?? null}, ${r.clientId ?? null}, ${r.onBehalfOf ?? null}, ${r.ip ?? null}, ${r.requestId ?? null},
              ${[...(r.entity ?? [])]}::text[], ${r.query ?? null}, ${[...(r.patientIds ?? [])]}::text[], ${sql.json(r.detail ?? {})})
      returning seq::text as seq`;
    ids.push((row as { seq: string }).seq);
  }
  return ids;
}
