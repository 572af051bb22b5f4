/** The security-relevant events the authorization server records (issue 4 §6; AuditEvents later). */
export type SecurityEventKind =
  | 'login'
  | 'logout'
  | 'token-issue'
  | 'token-refresh'
  | 'token-revoke'
  | 'grant-revoke'
  | 'consent'
  | 'consent-change'
  | 'client-create'
  | 'client-revoke'
  | 'client-update'
  | 'client-secret-rotate'
  | 'client-filter-change'
  | 'account-create'
  | 'password-change'
  | 'client-manager-change'
  | 'key-create'
  | 'key-revoke'
  | 'certificate-sign'
  | 'study-grant'
  | 'study-revoke'
  // The HIE login dialect (docs/hie.md): organizations' API tokens, and users' profiles, groups and activation.
  | 'hie-client-create'
  | 'hie-client-revoke'
  | 'hie-account-change';

export interface SecurityEvent {
  readonly kind: SecurityEventKind;
  readonly outcome: 'success' | 'failure';
  readonly accountId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly grantId?: string | undefined;
  readonly ip?: string | undefined;
  /** Why, what: never a secret, a password or a token. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Records one event; failures to record are logged, never thrown into the request. */
export type RecordSecurityEvent = (event: SecurityEvent) => void;
