import type { Migration } from './migration.js';

/**
 * External services (docs/service-keys.md): who manages a service, its API keys (static,
 * refresh, certificate), the client certificates Fhirkeep's own CA signed for them, and that CA.
 */
export const serviceKeys: Migration = {
  version: 6,
  name: 'service keys, client certificates and the certificate authority',
  sql: `
-- Who may manage a service's keys: one account, or the members of one organization or team.
-- The developer who registers a client manages it until management is handed over.
alter table clients
  add column manager_account text references accounts (id) on delete set null,
  add column manager_organization text references organizations (id) on delete set null,
  add constraint clients_one_manager check (manager_account is null or manager_organization is null);
update clients set manager_account = owner_account;

-- A service's API keys. The key id is public (listings, audit, the lookup prefix of a static
-- key); the secret is shown once and kept as its SHA-256 (256 random bits: a KDF adds nothing).
--   static       the secret is the bearer token itself (valid until expires_at)
--   refresh      its secret lives in refresh_tokens, rotated on each use (grants.service_key_id)
--   certificate  a CSR with CN = certificate_cn is signed by the CA (key_certificates)
create table service_keys (
  id             text primary key,
  client_id      text not null references clients (id) on delete cascade,
  type           text not null check (type in ('static', 'refresh', 'certificate')),
  name           text,
  secret_hash    bytea,
  certificate_cn text,
  created_by     text references accounts (id) on delete set null,
  created_at     timestamptz not null default now(),
  expires_at     timestamptz,
  revoked_at     timestamptz,
  check ((type = 'static') = (secret_hash is not null)),
  check ((type = 'certificate') = (certificate_cn is not null))
);
create index service_keys_client on service_keys (client_id);
create unique index service_keys_cn on service_keys (certificate_cn) where certificate_cn is not null;

-- The grants a refresh key's tokens belong to: each refresh starts a new one and revokes the
-- previous, so only the newest access/refresh pair works.
alter table grants add column service_key_id text references service_keys (id) on delete cascade;
create index grants_service_key on grants (service_key_id) where service_key_id is not null;

-- Every certificate the CA signed for a key, by the SHA-256 of its DER (RFC 8705 x5t#S256):
-- a request's certificate is accepted only if it is one of these and its key is not revoked.
create table key_certificates (
  thumbprint  bytea primary key,
  key_id      text not null references service_keys (id) on delete cascade,
  serial      text not null,
  not_before  timestamptz not null,
  not_after   timestamptz not null,
  created_at  timestamptz not null default now()
);
create index key_certificates_key on key_certificates (key_id);

-- Fhirkeep's own CA: one row. The private key is a JWE sealed with the key-encryption key, like
-- the token-signing keys, so a copy of the database cannot issue certificates.
create table certificate_authority (
  id              int primary key check (id = 1),
  certificate_pem text not null,
  private_key_jwe text not null,
  created_at      timestamptz not null default now()
);
`,
};
