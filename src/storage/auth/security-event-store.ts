import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { RecordSecurityEvent, SecurityEvent } from '../../auth/security-events.js';
import { securityAuditRow } from '../../audit/security-audit.js';
import { insertAuditEvents } from '../audit/audit-event-store.js';

/**
 * Writes each security event as an audit row at once, in the background: for the CLI, whose
 * commands end by closing the pool (which waits for these inserts). The server queues them in
 * its audit trail instead (src/audit/security-audit.ts). A failed insert is logged, never thrown.
 */
export function securityEventRecorder(sql: Sql, logger: Logger): RecordSecurityEvent {
  return (event: SecurityEvent) => {
    insertAuditEvents(sql, [securityAuditRow(event)]).then(
      () => undefined,
      (err: unknown) => logger.error({ err, kind: event.kind }, 'could not record a security event'),
    );
  };
}

/** The most recent security events in the audit trail, newest first (tests read them). */
export async function recentSecurityEvents(sql: Sql, limit: number): Promise<SecurityEvent[]> {
  const rows = await sql<
    { subtype: SecurityEvent['kind']; outcome: number; account_id: string | null; client_id: string | null; ip: string | null; detail: Record<string, unknown> }[]
  >`select subtype, outcome, account_id, client_id, ip, detail from audit_events where type <> 'rest' order by seq desc limit ${limit}`;
  return rows.map((r) => ({
    kind: r.subtype,
    outcome: r.outcome === 0 ? 'success' : 'failure',
    accountId: r.account_id ?? undefined,
    clientId: r.client_id ?? undefined,
    grantId: typeof r.detail['grant_id'] === 'string' ? r.detail['grant_id'] : undefined,
    ip: r.ip ?? undefined,
    detail: r.detail,
  }));
}
