import type { Migration } from './migration.js';

/**
 * The HIE login dialect (docs/hie.md): organizations' API tokens, users' sessions, and what the
 * dialect says about an account — activation, last login, groups, and profiles with catchments.
 */
export const hie: Migration = {
  version: 8,
  name: 'HIE login dialect',
  sql: `
-- An organization's API credentials: the client_id header is the id, the X-Auth-Token header the
-- secret, shown once and kept as its SHA-256 (256 random bits: a KDF adds nothing).
create table hie_clients (
  id              text primary key,
  organization_id text not null references organizations (id) on delete cascade,
  secret_hash     bytea not null,
  created_at      timestamptz not null default now(),
  revoked_at      timestamptz
);
create index hie_clients_organization on hie_clients (organization_id);

-- A user's HIE session: the access token is the secret, this table its hash. Ended by sign-out
-- (ended_at), by its expiry, or by its client's revocation.
create table hie_sessions (
  token_hash  bytea primary key,
  account_id  text not null references accounts (id) on delete cascade,
  -- Who signed it in: only that client may use it, look it up or end it.
  hie_client  text not null references hie_clients (id) on delete cascade,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  ended_at    timestamptz
);
create index hie_sessions_expiry on hie_sessions (expires_at);
create index hie_sessions_account on hie_sessions (account_id);

-- Activation: the dialect refuses accounts not activated. Accounts made so far, and new ones
-- (the column default), are activated; "fhirkeep user deactivate" clears it.
alter table accounts
  add column activated_at  timestamptz default now(),
  add column last_login_at timestamptz,
  add column updated_at    timestamptz not null default now();
update accounts set activated_at = created_at, updated_at = created_at;

-- updated_at follows every change of the row (disable, activation, login) without each writer
-- having to remember it; profile and group changes touch the row too.
create function accounts_touch() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;
create trigger accounts_touch before update on accounts for each row execute function accounts_touch();

create table account_groups (
  account_id text not null references accounts (id) on delete cascade,
  group_name text not null check (length(group_name) between 1 and 100),
  primary key (account_id, group_name)
);

-- What a user is to the HIE: a provider, facility or admin with the areas it serves (area codes,
-- docs/hie.md), or a patient (profile_id: the Patient). One profile per (type, id) and account.
create table account_profiles (
  account_id text not null references accounts (id) on delete cascade,
  type       text not null check (type in ('provider', 'admin', 'facility', 'patient')),
  profile_id text not null,
  catchments text[] not null default '{}',
  primary key (account_id, type, profile_id)
);
`,
};
