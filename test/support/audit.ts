import type { Sql } from 'postgres';
import type { Fhirkeep } from '../../src/server.js';

/** An audit_events row as tests read it. */
export interface StoredAuditRow {
  readonly seq: string;
  readonly type: string;
  readonly subtype: string;
  readonly action: string;
  readonly outcome: number;
  readonly outcome_desc: string | null;
  readonly account_id: string | null;
  readonly client_id: string | null;
  readonly on_behalf_of: string | null;
  readonly ip: string | null;
  readonly request_id: string | null;
  readonly entity: string[];
  readonly query: string | null;
  readonly patient_ids: string[];
  readonly detail: Record<string, unknown>;
}

/** The rows as committed now, oldest first (nothing flushed: what a write put in its own transaction). */
export function committedAuditRows(sql: Sql): Promise<StoredAuditRow[]> {
  return sql<StoredAuditRow[]>`select seq::text, type, subtype, action, outcome, outcome_desc, account_id, client_id, on_behalf_of, ip, request_id, entity, query, patient_ids, detail from audit_events order by seq`;
}

/** Every row, once the node's queue is written. */
export async function auditRows(fhirkeep: Fhirkeep): Promise<StoredAuditRow[]> {
  await fhirkeep.audit.flush();
  return committedAuditRows(fhirkeep.database.sql);
}

/** The one row of the request answered with this `X-Request-Id`. */
export async function auditRowOf(fhirkeep: Fhirkeep, requestId: string | null): Promise<StoredAuditRow> {
  const rows = (await auditRows(fhirkeep)).filter((r) => r.request_id === requestId);
  if (rows.length !== 1) throw new Error(`expected one audit row of request ${String(requestId)}, found ${rows.length}`);
  return rows[0] as StoredAuditRow;
}
