import type { RecordSecurityEvent, SecurityEvent, SecurityEventKind } from '../auth/security-events.js';
import type { AuditAction, AuditRow } from './audit-row.js';
import type { AuditTrail } from './audit-trail.js';

/** DICOM PS3.16 CID 400 (Audit Event ID): AuditEvent.type of a security event. */
export const DCM_USER_AUTHENTICATION = '110114';
export const DCM_SECURITY_ALERT = '110113';

/** DICOM PS3.16 CID 401 (Audit Event Type Code) codes the security events use. */
const LOGIN = '110122';
const LOGOUT = '110123';
const SECURITY_CONFIGURATION = '110129';
const OBJECT_SECURITY_ATTRIBUTES_CHANGED = '110135';
const USER_SECURITY_ATTRIBUTES_CHANGED = '110137';

interface SecurityCoding {
  /** CID 400: User Authentication or Security Alert. */
  readonly type: string;
  /** CID 401: what kind of authentication or alert. */
  readonly eventType: string;
  readonly action: AuditAction;
}

const authentication = (eventType: string): SecurityCoding => ({ type: DCM_USER_AUTHENTICATION, eventType, action: 'E' });
const alert = (eventType: string, action: AuditAction): SecurityCoding => ({ type: DCM_SECURITY_ALERT, eventType, action });

/**
 * Each security event's codes (docs/audit.md): logins and the tokens they yield are User
 * Authentication; changes to who may do what are Security Alerts — of a user's or a client's
 * credentials (User Security Attributes Changed), of an application's set-up (Security
 * Configuration), of whose data flows where (Object Security Attributes Changed).
 */
const CODINGS: Readonly<Record<SecurityEventKind, SecurityCoding>> = {
  'login': authentication(LOGIN),
  'logout': authentication(LOGOUT),
  'token-issue': authentication(LOGIN),
  'token-refresh': authentication(LOGIN),
  'token-revoke': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'D'),
  'grant-revoke': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'D'),
  'consent': alert(OBJECT_SECURITY_ATTRIBUTES_CHANGED, 'C'),
  'consent-change': alert(OBJECT_SECURITY_ATTRIBUTES_CHANGED, 'U'),
  'client-create': alert(SECURITY_CONFIGURATION, 'C'),
  'client-revoke': alert(SECURITY_CONFIGURATION, 'D'),
  'client-update': alert(SECURITY_CONFIGURATION, 'U'),
  'client-secret-rotate': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'U'),
  'client-filter-change': alert(SECURITY_CONFIGURATION, 'U'),
  'account-create': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'C'),
  'password-change': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'U'),
  'client-manager-change': alert(SECURITY_CONFIGURATION, 'U'),
  'key-create': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'C'),
  'key-revoke': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'D'),
  'certificate-sign': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'C'),
  'study-grant': alert(OBJECT_SECURITY_ATTRIBUTES_CHANGED, 'C'),
  'study-revoke': alert(OBJECT_SECURITY_ATTRIBUTES_CHANGED, 'D'),
  'hie-client-create': alert(SECURITY_CONFIGURATION, 'C'),
  'hie-client-revoke': alert(SECURITY_CONFIGURATION, 'D'),
  'hie-account-change': alert(USER_SECURITY_ATTRIBUTES_CHANGED, 'U'),
};

/** The CID 401 code of a security event's kind (the row's subtype), for rendering AuditEvent.subtype. */
export function securityEventTypeCode(kind: SecurityEventKind): string {
  return CODINGS[kind].eventType;
}

/** A security event as an audit row: its kind is the subtype; a failure (a wrong password) is a refusal. */
export function securityAuditRow(event: SecurityEvent, recorded = new Date()): AuditRow {
  const coding = CODINGS[event.kind];
  return {
    recorded,
    type: coding.type,
    subtype: event.kind,
    action: coding.action,
    outcome: event.outcome === 'success' ? 0 : 4,
    accountId: event.accountId,
    clientId: event.clientId,
    ip: event.ip,
    detail: event.grantId === undefined ? event.detail : { ...event.detail, grant_id: event.grantId },
  };
}

/**
 * Security events through the node's audit trail. Callers never wait: a full queue holds the
 * row with its (unawaited) waiter until there is room, so it is written late, never lost.
 */
export function auditSecurityEvents(trail: Pick<AuditTrail, 'record'>): RecordSecurityEvent {
  return (event) => void trail.record(securityAuditRow(event));
}
