import type { Migration } from './migration.js';

/**
 * Resources (current versions), their append-only history, and the token index the
 * foundation's conditional interactions use. See docs/storage.md for the reasoning.
 */
export const resources: Migration = {
  version: 1,
  name: 'resources, history and token index',
  sql: `
create table resources (
  rid           bigint generated always as identity primary key,
  tenant        int not null default 0,
  type          text not null,
  id            text not null,
  version_id    int not null,
  last_updated  timestamptz not null,
  deleted       boolean not null default false,
  -- The exact JSON a read returns (id and meta already set); null once deleted.
  content       text,
  -- Patient-compartment owner: the distribution key with tenant.
  patient_id    text,
  -- Access metadata the access engine compiles filters against.
  owner_account text,
  source_app    text,
  content_type  text,
  codes         text[] not null default '{}',
  created_at    timestamptz not null,
  security      text[] not null default '{}',
  public        boolean not null default false,
  constraint resources_tenant_type_id unique (tenant, type, id)
) with (fillfactor = 90);

create table resource_history (
  tenant       int not null default 0,
  type         text not null,
  id           text not null,
  version_id   int not null,
  rid          bigint not null,
  -- Global insertion order: breaks ties between equal last_updated values, so paging is stable.
  seq          bigint generated always as identity,
  last_updated timestamptz not null,
  method       text not null check (method in ('POST', 'PUT', 'PATCH', 'DELETE')),
  content      text,
  -- vread and instance history.
  constraint resource_history_pkey primary key (tenant, type, id, version_id)
);
-- Type and system history, newest first (R4 §3.1.0.10), _since as the lower end of one range scan.
create index resource_history_type_time on resource_history (tenant, type, last_updated, seq);
create index resource_history_time on resource_history (tenant, last_updated, seq);

-- Current versions are read far more often than written: keep their JSON uncompressed so reads
-- and writes skip pglz. History is mostly written and rarely read: compress it, with lz4 where
-- the server was built with it (Debian's is; the embedded build is not).
alter table resources alter column content set storage external;
do $$ begin
  alter table resource_history alter column content set compression lz4;
exception when others then null;
end $$;

create table resource_tokens (
  rid    bigint not null,
  tenant int not null default 0,
  type   text not null,
  param  text not null,
  system text,
  code   text not null
);
create index resource_tokens_lookup on resource_tokens (tenant, type, param, code, system) include (rid);
create index resource_tokens_rid on resource_tokens (rid);
`,
};
