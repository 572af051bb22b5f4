import type { Migration } from './migration.js';

/**
 * The access engine (docs/access.md): the content taxonomy records are classified by, each
 * application's access filter and write mode, and consents (whose data flows to whom).
 */
export const accessEngine: Migration = {
  version: 5,
  name: 'access engine: content taxonomy, access filters, consents',
  sql: `
-- What a record is, semantically (body/weight, snomed/57427004, AllergyIntolerance …).
create table content_types (
  name          text primary key,
  -- The resource type records of this content have (the filter's format).
  resource_type text not null,
  label         text not null,
  -- Registered on first sight of an unknown code (FHIRKEEP_CONTENT_AUTO_REGISTER), not by an admin.
  dynamic       boolean not null default false,
  created_at    timestamptz not null default now()
);
-- No search index: every node holds the whole taxonomy in memory and searches it there.

-- Every coding maps to at most one content type.
create table content_codes (
  system       text not null,
  code         text not null,
  content_type text not null references content_types (name) on delete cascade,
  display      text,
  primary key (system, code)
);
create index content_codes_content on content_codes (content_type);

-- Groups form a tree of content types per group system ('v1' unless named).
create table content_groups (
  group_system text not null default 'v1',
  name         text not null,
  parent       text,
  label        text not null,
  primary key (group_system, name),
  foreign key (group_system, parent) references content_groups (group_system, name) on delete cascade
);

create table content_group_members (
  group_system text not null,
  group_name   text not null,
  content_type text not null references content_types (name) on delete cascade,
  primary key (group_system, group_name, content_type),
  foreign key (group_system, group_name) references content_groups (group_system, name) on delete cascade
);

-- Whether a record is in the public pool is its security label (docs/access.md), not a column
-- that could disagree with it.
alter table resources drop column public;

-- The version of Fhirkeep's seed taxonomy (src/access/content/seed-taxonomy.ts) applied so far: a
-- seed runs once per version, so what an admin deleted or relabelled afterwards stays so.
create table content_seed (version int not null);
insert into content_seed values (0);

-- An application's access filter (expert-mode JSON, validated on save) and write mode. Saving a
-- new filter bumps filter_version: consents confirmed for an older version no longer share data.
alter table clients
  add column access_filter jsonb,
  add column filter_version int not null default 1,
  add column write_mode text not null default 'any' check (write_mode in ('none', 'update', 'create', 'any')),
  -- consented: the client reaches the records its consents share; all: every record (an
  -- institution's own systems, set by an admin).
  add column reach text not null default 'consented' check (reach in ('consented', 'all'));

-- Consents: whose data flows to whom. The FHIR Consent the row stands for is kept beside it.
--   app          account holder → application (confirmed for filter_version)
--   service      account holder → external service (a subscription; confirmed for filter_version)
--   organization account holder → organization (sharing)
--   broker       organization → data broker (client)
create table consents (
  id              uuid primary key,
  kind            text not null check (kind in ('app', 'service', 'organization', 'broker')),
  status          text not null check (status in ('draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error')),
  account_id      text references accounts (id) on delete cascade,
  organization_id text references organizations (id) on delete cascade,
  client_id       text references clients (id) on delete cascade,
  -- The holder's Patient: the compartment whose records the consent shares.
  patient_id      text,
  -- app/service: the client's filter_version the holder confirmed; an older one shares nothing.
  filter_version  int,
  -- app/service: the SMART scopes the holder approved (the authorization page skips itself when
  -- an active, current consent covers a request).
  scopes          text[] not null default '{}',
  resource        jsonb not null,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  check (case kind
    when 'app' then account_id is not null and client_id is not null and organization_id is null
    when 'service' then account_id is not null and client_id is not null and organization_id is null
    when 'organization' then account_id is not null and organization_id is not null and client_id is null
    when 'broker' then organization_id is not null and client_id is not null and account_id is null
  end)
);
-- One consent per pair; its status moves through the lifecycle.
create unique index consents_pair on consents (kind, coalesce(account_id, ''), coalesce(organization_id, ''), coalesce(client_id, ''));
-- The access engine's subqueries: patients sharing with a client, with an organization.
create index consents_client on consents (client_id, kind, filter_version, patient_id) where status = 'active';
create index consents_organization on consents (organization_id, kind, patient_id) where status = 'active';
create index consents_account on consents (account_id);

`,
};
