import type { Migration } from './migration.js';

/**
 * The audit trail (docs/audit.md): one row per data access or security event, rendered as a FHIR
 * AuditEvent when read. Rows, not resources: an audit row costs one insert in a batch, and
 * auditing a read must not cost what storing and indexing a resource does.
 */
export const auditTrail: Migration = {
  version: 11,
  name: 'audit trail',
  sql: `
create table audit_events (
  -- AuditEvent.id is this number.
  seq          bigint generated always as identity primary key,
  recorded     timestamptz not null default now(),
  -- AuditEvent.type: 'rest' (audit-event-type) for FHIR interactions and exports, or a DICOM
  -- code (DCM 110114 User Authentication, 110113 Security Alert, …) for security events.
  type         text not null,
  -- AuditEvent.subtype: the FHIR interaction (read, search-type, create, export, …) or the
  -- security event's kind (login, token-issue, key-revoke, consent-change, …).
  subtype      text not null,
  action       char(1) not null check (action in ('C', 'R', 'U', 'D', 'E')),
  -- 0 success, 4 minor failure (refused), 8 serious failure, 12 major failure.
  outcome      smallint not null check (outcome in (0, 4, 8, 12)),
  outcome_desc text,
  -- The agents: the person (an account) and the application (a client), and on whose behalf
  -- (a broker's organization, a research study) when the credential says so.
  account_id   text,
  client_id    text,
  on_behalf_of text,
  ip           text,
  request_id   text,
  -- What was touched: references (Type/id) and a search's query; never a resource's content.
  entity       text[] not null default '{}',
  query        text,
  -- The patients whose data the event concerned: a read's owner, every owner a search returned.
  patient_ids  text[] not null default '{}',
  -- Why, what else: never a secret, a password or a token.
  detail       jsonb not null default '{}'
);
create index audit_events_recorded on audit_events (recorded, seq);
create index audit_events_patients on audit_events using gin (patient_ids);
create index audit_events_client on audit_events (client_id, seq) where client_id is not null;
create index audit_events_account on audit_events (account_id, seq) where account_id is not null;
`,
};
