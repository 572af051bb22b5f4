import type { Migration } from './migration.js';

/**
 * The audit trail (docs/audit.md): one row per data access or security event, rendered as a FHIR
 * AuditEvent when read. Rows, not resources: an audit row costs one insert in a batch, and
 * auditing a read must not cost what storing and indexing a resource does. It replaces the
 * security_events table of migration 3, whose rows it takes over, so there is one trail.
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

-- The security events recorded so far, coded as src/audit/security-audit.ts codes them (written
-- out here: a migration must keep meaning what it meant when it ran).
insert into audit_events (recorded, type, subtype, action, outcome, account_id, client_id, ip, detail)
select at,
  case when kind in ('login', 'logout', 'token-issue', 'token-refresh') then '110114' else '110113' end,
  kind,
  case
    when kind in ('login', 'logout', 'token-issue', 'token-refresh') then 'E'
    when kind in ('consent', 'client-create', 'account-create', 'key-create', 'certificate-sign', 'study-grant', 'hie-client-create') then 'C'
    when kind in ('token-revoke', 'grant-revoke', 'client-revoke', 'key-revoke', 'study-revoke', 'hie-client-revoke') then 'D'
    else 'U'
  end,
  case outcome when 'success' then 0 else 4 end,
  account_id, client_id, ip,
  case when grant_id is null then detail else detail || jsonb_build_object('grant_id', grant_id::text) end
from security_events order by seq;
drop table security_events;
`,
};
