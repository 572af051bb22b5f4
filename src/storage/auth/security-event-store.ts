import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { RecordSecurityEvent, SecurityEvent } from '../../auth/security-events.js';

/**
 * Writes security events in the background: a login or a token response never waits for its
 * audit row, and a failed insert is logged rather than failing the request it describes.
 */
export function securityEventRecorder(sql: Sql, logger: Logger): RecordSecurityEvent {
  return (event: SecurityEvent) => {
    sql`
      insert into security_events (kind, outcome, account_id, client_id, grant_id, ip, detail)
      values (${event.kind}, ${event.outcome}, ${event.accountId ?? null}, ${event.clientId ?? null},
              ${event.grantId ?? null}, ${event.ip ?? null}, ${sql.json((event.detail ?? {}) as never)})
    `.then(
      () => undefined,
      (err: unknown) => logger.error({ err, kind: event.kind }, 'could not record a security event'),
    );
  };
}

/** The most recent events first (tests and the admin API read them). */
export async function recentSecurityEvents(sql: Sql, limit: number): Promise<SecurityEvent[]> {
  const rows = await sql<
    { kind: SecurityEvent['kind']; outcome: SecurityEvent['outcome']; account_id: string | null; client_id: string | null; grant_id: string | null; ip: string | null; detail: Record<string, unknown> }[]
  >`select kind, outcome, account_id, client_id, grant_id, ip, detail from security_events order by seq desc limit ${limit}`;
  return rows.map((r) => ({
    kind: r.kind,
    outcome: r.outcome,
    accountId: r.account_id ?? undefined,
    clientId: r.client_id ?? undefined,
    grantId: r.grant_id ?? undefined,
    ip: r.ip ?? undefined,
    detail: r.detail,
  }));
}
