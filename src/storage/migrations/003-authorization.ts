import type { Migration } from './migration.js';

/**
 * The authorization server's state: accounts, organizations and teams, registered clients,
 * signing keys, grants and what hangs off them (codes, refresh tokens, launches), replay and
 * throttling records, and the audit hook table. Every secret column holds a SHA-256 hash
 * (random secrets) or a PHC string (passwords); see docs/authorization.md.
 */
export const authorization: Migration = {
  version: 3,
  name: 'authorization server',
  sql: `
create table accounts (
  id              text primary key,
  -- Compared case-insensitively: lower(email) is unique.
  email           text not null,
  -- PHC string (argon2id); null for an account that can only be reached through a partner dialect.
  password_hash   text,
  roles           text[] not null check (roles <@ array['patient', 'practitioner', 'researcher', 'developer', 'admin']),
  display_name    text,
  patient_id      text,
  practitioner_id text,
  created_at      timestamptz not null default now(),
  disabled_at     timestamptz
);
create unique index accounts_email on accounts (lower(email));

-- Organizations, and teams inside them (kind = team, parent_id = its organization).
create table organizations (
  id               text primary key,
  kind             text not null default 'organization' check (kind in ('organization', 'team')),
  parent_id        text references organizations (id) on delete cascade,
  name             text not null,
  identifier_system text,
  identifier_value  text,
  created_at       timestamptz not null default now(),
  check ((kind = 'team') = (parent_id is not null))
);
create unique index organizations_identifier on organizations (identifier_system, identifier_value) where identifier_value is not null;

create table organization_members (
  organization_id text not null references organizations (id) on delete cascade,
  account_id      text not null references accounts (id) on delete cascade,
  role            text not null default 'member' check (role in ('member', 'manager')),
  primary key (organization_id, account_id)
);
create index organization_members_account on organization_members (account_id);

-- Failed logins per key ('account:<id>' or 'ip:<address>') in the current window.
create table login_failures (
  key          text primary key,
  window_start timestamptz not null,
  failures     int not null
);

-- Browser sessions of the login page; the cookie holds the secret, this table its hash.
create table sessions (
  id_hash     bytea primary key,
  account_id  text not null references accounts (id) on delete cascade,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null
);
create index sessions_expiry on sessions (expires_at);

create table clients (
  id               text primary key,
  type             text not null check (type in ('smart', 'service', 'broker', 'research')),
  name             text not null,
  public           boolean not null,
  -- SHA-256 of the client secret (256 random bits: a KDF adds nothing); null for public clients.
  secret_hash      bytea,
  redirect_uris    text[] not null default '{}',
  jwks             jsonb,
  jwks_uri         text,
  require_pkce     boolean not null default true,
  -- Scopes the client may ever be granted (SMART v1 or v2 syntax; wildcards allowed).
  scopes           text[] not null default '{}',
  launch_uri       text,
  owner_account    text references accounts (id) on delete set null,
  created_at       timestamptz not null default now(),
  revoked_at       timestamptz,
  check (not (public and secret_hash is not null))
);

-- Token signing keys. Newest active key signs; retired keys stay published until every token
-- they signed has expired. The private key is a JWE sealed with the key-encryption key, which
-- never enters the database (src/auth/tokens/key-encryption.ts).
create table signing_keys (
  kid          text primary key,
  alg          text not null check (alg in ('ES256', 'RS256')),
  private_key_jwe text not null,
  public_jwk   jsonb not null,
  created_at   timestamptz not null default now(),
  retired_at   timestamptz
);

-- One grant per authorization decision (a login + consent, a client-credentials token, ...).
-- Tokens carry its id; revoking the grant kills every token issued under it.
create table grants (
  id          uuid primary key,
  client_id   text not null references clients (id) on delete cascade,
  account_id  text references accounts (id) on delete cascade,
  grant_type  text not null,
  scopes      text[] not null,
  -- SMART launch context: patient, encounter, fhirContext, need_patient_banner, smart_style_url.
  context     jsonb not null default '{}',
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  revoked_at  timestamptz
);
create index grants_account on grants (account_id) where revoked_at is null;
create index grants_client on grants (client_id) where revoked_at is null;
create index grants_revoked on grants (revoked_at) where revoked_at is not null;

create table authorization_codes (
  code_hash       bytea primary key,
  grant_id        uuid not null references grants (id) on delete cascade,
  client_id       text not null,
  redirect_uri    text not null,
  code_challenge  text,
  nonce           text,
  expires_at      timestamptz not null,
  used_at         timestamptz
);

-- Refresh tokens rotate: each use marks the row used and issues its successor in the same
-- family (= grant). A used token presented again revokes the grant (RFC 9700 §4.14.2).
create table refresh_tokens (
  id          text primary key,
  secret_hash bytea not null,
  grant_id    uuid not null references grants (id) on delete cascade,
  scopes      text[] not null,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  used_at     timestamptz
);
create index refresh_tokens_grant on refresh_tokens (grant_id);

-- EHR launch contexts: the opaque launch value's hash, bound to a patient/encounter, single use.
create table launch_contexts (
  launch_hash bytea primary key,
  client_id   text references clients (id) on delete cascade,
  context     jsonb not null,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  used_at     timestamptz
);

-- Client assertion ids seen (SMART Backend Services: a jti is never accepted twice).
create table assertion_jtis (
  client_id  text not null,
  jti        text not null,
  expires_at timestamptz not null,
  primary key (client_id, jti)
);
create index assertion_jtis_expiry on assertion_jtis (expires_at);

-- Pending /oauth2/authorize requests between the login, consent and patient-picker pages.
-- The id is in page URLs; the request is bound to the first browser that opens it (the hash of
-- that browser's binding cookie), and its forms need a CSRF token derived from that cookie.
create table authorization_requests (
  id           text primary key,
  params       jsonb not null,
  browser_hash bytea,
  account_id   text references accounts (id) on delete cascade,
  -- The patient picked (or the account holder's own) for launch/patient.
  patient_id   text,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null
);
create index authorization_requests_expiry on authorization_requests (expires_at);

-- Security events (login, token issue/refresh/revoke, consent decisions); the audit issue
-- turns them into AuditEvents.
create table security_events (
  seq         bigint generated always as identity primary key,
  at          timestamptz not null default now(),
  kind        text not null,
  outcome     text not null check (outcome in ('success', 'failure')),
  account_id  text,
  client_id   text,
  grant_id    uuid,
  ip          text,
  detail      jsonb not null default '{}'
);
create index security_events_at on security_events (at);
`,
};
