import type { Sql, TransactionSql } from 'postgres';
import type { AuditRow } from '../../audit/audit-row.js';

/**
 * Inserts audit rows in ONE statement, whatever their number: the batch travels as one JSON
 * parameter, so a batch of 500 costs one round trip. With a transaction, the rows commit or roll
 * back with the write they describe.
 */
export async function insertAuditEvents(sql: Sql | TransactionSql, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await (sql as Sql).unsafe(INSERT, [auditBatchJson(rows)], { prepare: true });
}

const INSERT = `
  insert into audit_events (recorded, type, subtype, action, outcome, outcome_desc, account_id, client_id, on_behalf_of, ip, request_id, entity, query, patient_ids, detail)
  select recorded, type, subtype, action, outcome, outcome_desc, account_id, client_id, on_behalf_of, ip, request_id,
    coalesce(entity, '{}'), query, coalesce(patient_ids, '{}'), coalesce(detail, '{}')
  from json_to_recordset($1::text::json) as x(recorded timestamptz, type text, subtype text, action char(1), outcome smallint,
    outcome_desc text, account_id text, client_id text, on_behalf_of text, ip text, request_id text, entity text[], query text,
    patient_ids text[], detail jsonb)`;

/** The row under the column names; absent fields are left out of the JSON, so they are null. */
function jsonRow(r: AuditRow): Record<string, unknown> {
  return {
    recorded: r.recorded.toISOString(),
    type: r.type,
    subtype: r.subtype,
    action: r.action,
    outcome: r.outcome,
    outcome_desc: r.outcomeDesc,
    account_id: r.accountId,
    client_id: r.clientId,
    on_behalf_of: r.onBehalfOf,
    ip: r.ip,
    request_id: r.requestId,
    entity: r.entity,
    query: r.query,
    patient_ids: r.patientIds,
    detail: r.detail,
  };
}

/** A JSON `\u0000` escape: one preceded by an even number of backslashes (an odd one escapes the backslash). */
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * PostgreSQL text cannot hold NUL (nor jsonb `\u0000`): a request that carried one (a refused
 * query, a header) would make its whole batch fail on every retry, so NUL becomes U+FFFD.
 */
export function auditBatchJson(rows: readonly AuditRow[]): string {
  return JSON.stringify(rows.map(jsonRow)).replace(NUL_ESCAPE, '$1\\ufffd');
}
