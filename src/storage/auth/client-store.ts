import type { JSONWebKeySet } from 'jose';
import type { Sql } from 'postgres';
import { REVOCATION_CHANNEL } from './revocation-feed.js';
import type { ClientReach, ClientType, RegisteredClient } from '../../auth/clients/client.js';
import type { WriteMode } from '../../access/filter/access-filter.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { oneRow } from '../one-row.js';
import { storable } from '../storable.js';
import { FOREIGN_KEY_VIOLATION } from '../database-errors.js';

/** A client row with the one thing that never leaves the authorization server: its secret's hash. */
export interface StoredClient {
  readonly client: RegisteredClient;
  /** SHA-256 of the client secret; undefined for public and key-set clients. */
  readonly secretHash: Buffer | undefined;
}

/** What can change on a registered client (type and public/confidential cannot: register anew). */
export interface EditableClientFields {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly jwks: JSONWebKeySet | undefined;
  readonly jwksUri: string | undefined;
  readonly launchUri: string | undefined;
}

export interface NewClient extends EditableClientFields {
  readonly id: string;
  readonly type: ClientType;
  readonly isPublic: boolean;
  readonly secretHash: Buffer | undefined;
  readonly requirePkce: boolean;
  readonly ownerAccount: string | undefined;
}

/** An application's access settings (issue 5): its filter as saved (expert-mode JSON), write mode and reach. */
export interface ClientAccessSettings {
  readonly accessFilter: unknown;
  /** Absent: unchanged (left to the row, so a concurrent change of it is not written back). */
  readonly writeMode?: WriteMode | undefined;
  readonly reach?: ClientReach | undefined;
  /** Whether a change revokes the users' grants in the same statement ("logout all users"); default true. */
  readonly logoutUsers?: boolean | undefined;
}

export interface ClientStore {
  insert(client: NewClient): Promise<RegisteredClient>;
  /** One primary-key read: what client authentication costs the database. */
  find(id: string): Promise<StoredClient | undefined>;
  /** Which of these ids no client has, in one query. */
  unknown(ids: readonly string[]): Promise<string[]>;
  /** Every client, or those one account owns; oldest first. */
  list(filter?: { readonly ownerAccount?: string }): Promise<RegisteredClient[]>;
  /** Marks the client revoked (idempotent); undefined when there is no such client. */
  revoke(id: string): Promise<RegisteredClient | undefined>;
  replaceSecretHash(id: string, secretHash: Buffer): Promise<RegisteredClient | undefined>;
  update(id: string, fields: EditableClientFields): Promise<RegisteredClient | undefined>;
  /**
   * Saves new access settings, bumping `filter_version`, and in the same statement (unless
   * `logoutUsers` is false) revokes every unexpired grant of the client that has an account
   * ("logout all users", issue 5), announcing each on every node. Undefined when there is no such client or nothing changed (no bump then).
   */
  setAccessSettings(id: string, settings: ClientAccessSettings): Promise<{ client: RegisteredClient; revokedGrants: string[] } | undefined>;
  /**
   * Calls `onChange(id)` whenever any process changes a client, and `onChange(undefined)` each
   * time the listening connection is (re)established: changes made while it was down are unknown.
   * Resolves once listening; the function it resolves to stops listening.
   */
  watch(onChange: (clientId: string | undefined) => void): Promise<() => Promise<void>>;
}

/** Every change to a client is announced here, in the changing transaction (delivered on commit). */
const CHANGES_CHANNEL = 'fhirkeep_clients';

interface ClientRow {
  id: string;
  type: ClientType;
  name: string;
  public: boolean;
  secret_hash: Buffer | null;
  redirect_uris: string[];
  jwks: JSONWebKeySet | null;
  jwks_uri: string | null;
  require_pkce: boolean;
  scopes: string[];
  launch_uri: string | null;
  owner_account: string | null;
  created_at: Date;
  revoked_at: Date | null;
  access_filter: unknown;
  filter_version: number;
  write_mode: WriteMode;
  reach: ClientReach;
  agreement_signed_at: Date | null;
}

export function createClientStore(sql: Sql): ClientStore {
  const jsonOrNull = (jwks: JSONWebKeySet | undefined) => (jwks === undefined ? null : sql.json(jwks as never));
  return {
    async insert(c) {
      try {
        // Whoever registers a client manages its keys until management is handed over (docs/service-keys.md).
        // A research partner is registered once its data-use agreement is signed (docs/research.md).
        const [row] = await sql<ClientRow[]>`
          insert into clients (id, type, name, public, secret_hash, redirect_uris, jwks, jwks_uri, require_pkce, scopes, launch_uri, owner_account, manager_account,
                               agreement_signed_at)
          values (${c.id}, ${c.type}, ${c.name}, ${c.isPublic}, ${c.secretHash ?? null}, ${sql.array([...c.redirectUris])}::text[],
                  ${jsonOrNull(c.jwks)}, ${c.jwksUri ?? null}, ${c.requirePkce}, ${sql.array([...c.scopes])}::text[],
                  ${c.launchUri ?? null}, ${c.ownerAccount ?? null}, ${c.ownerAccount ?? null},
                  case when ${c.type} = 'research' then now() end)
          returning *`;
        return toClient(oneRow(row));
      } catch (e) {
        if ((e as { code?: unknown }).code === FOREIGN_KEY_VIOLATION) {
          throw new FhirkeepError('bad-request', `There is no account ${c.ownerAccount ?? ''} to own the client`, { cause: e });
        }
        throw e;
      }
    },

    async unknown(ids) {
      const known = new Set((await sql<{ id: string }[]>`select id from clients where id = any(${ids.filter(storable) as string[]}::text[])`).map((r) => r.id));
      return ids.filter((id) => !known.has(id));
    },

    async find(id) {
      // A text column cannot hold NUL, so no client has such an id (and the query would fail).
      if (!storable(id)) return undefined;
      const [row] = await sql<ClientRow[]>`select * from clients where id = ${id}`;
      return row === undefined ? undefined : { client: toClient(row), secretHash: row.secret_hash ?? undefined };
    },

    async list(filter = {}) {
      const rows =
        filter.ownerAccount === undefined
          ? await sql<ClientRow[]>`select * from clients order by created_at, id`
          : await sql<ClientRow[]>`select * from clients where owner_account = ${filter.ownerAccount} order by created_at, id`;
      return rows.map(toClient);
    },

    async revoke(id) {
      // coalesce: revoking twice keeps the first revocation time.
      const [row] = await sql<ClientRow[]>`
        with changed as (update clients set revoked_at = coalesce(revoked_at, now()) where id = ${id} returning *)
        select changed.*, pg_notify(${CHANGES_CHANNEL}, changed.id),
               -- Every node's revocation view: the client's live access tokens stop working.
               pg_notify(${REVOCATION_CHANNEL}, 'client:' || changed.id)
        from changed`;
      return row === undefined ? undefined : toClient(row);
    },

    async replaceSecretHash(id, secretHash) {
      const [row] = await sql<ClientRow[]>`
        with changed as (update clients set secret_hash = ${secretHash} where id = ${id} returning *)
        select changed.*, pg_notify(${CHANGES_CHANNEL}, changed.id) from changed`;
      return row === undefined ? undefined : toClient(row);
    },

    async update(id, f) {
      const [row] = await sql<ClientRow[]>`
        with changed as (
          update clients set name = ${f.name}, redirect_uris = ${sql.array([...f.redirectUris])}::text[],
                 scopes = ${sql.array([...f.scopes])}::text[], jwks = ${jsonOrNull(f.jwks)}, jwks_uri = ${f.jwksUri ?? null},
                 launch_uri = ${f.launchUri ?? null}
          where id = ${id} returning *)
        select changed.*, pg_notify(${CHANGES_CHANNEL}, changed.id) from changed`;
      return row === undefined ? undefined : toClient(row);
    },

    async setAccessSettings(id, a) {
      const filter = a.accessFilter === undefined ? null : sql.json(a.accessFilter as never);
      const [row] = await sql<(ClientRow & { revoked_grants: string[] })[]>`
        with changed as (
          update clients set access_filter = ${filter}::jsonb, filter_version = filter_version + 1,
                 write_mode = coalesce(${a.writeMode ?? null}, write_mode), reach = coalesce(${a.reach ?? null}, reach)
          where id = ${id}
            and (access_filter is distinct from ${filter}::jsonb or write_mode <> coalesce(${a.writeMode ?? null}, write_mode)
                 or reach <> coalesce(${a.reach ?? null}, reach))
          returning *
        ), revoked as (
          -- Service grants (no account) are not stored until revoked and have no user to re-confirm.
          update grants g set revoked_at = now() from changed
          where ${a.logoutUsers !== false}::boolean and g.client_id = changed.id and g.account_id is not null and g.revoked_at is null and g.expires_at > now()
          returning g.id
        )
        select changed.*, pg_notify(${CHANGES_CHANNEL}, changed.id),
               array(select r.id from revoked r, pg_notify(${REVOCATION_CHANNEL}, 'grant:' || r.id)) as revoked_grants
        from changed`;
      return row === undefined ? undefined : { client: toClient(row), revokedGrants: row.revoked_grants };
    },

    async watch(onChange) {
      const { unlisten } = await sql.listen(CHANGES_CHANNEL, (id) => onChange(id), () => onChange(undefined));
      return unlisten;
    },
  };
}

function toClient(r: ClientRow): RegisteredClient {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    isPublic: r.public,
    hasSecret: r.secret_hash !== null,
    redirectUris: r.redirect_uris,
    jwks: r.jwks ?? undefined,
    jwksUri: r.jwks_uri ?? undefined,
    requirePkce: r.require_pkce,
    scopes: r.scopes,
    launchUri: r.launch_uri ?? undefined,
    ownerAccount: r.owner_account ?? undefined,
    createdAt: r.created_at,
    revoked: r.revoked_at !== null,
    accessFilter: r.access_filter ?? undefined,
    filterVersion: r.filter_version,
    writeMode: r.write_mode,
    reach: r.reach,
    ...(r.agreement_signed_at === null ? {} : { agreementSignedAt: r.agreement_signed_at }),
  };
}

/** SMART Backend Services: "the authorization server SHALL NOT accept" a reused jti, until it expires. */
export interface AssertionJtiStore {
  /** Records the jti; false when this client used it already (a replay). One insert. */
  recordIfNew(clientId: string, jti: string, expiresAt: Date): Promise<boolean>;
  /** Forgets jtis whose assertions can no longer be accepted anyway; resolves to how many. */
  purgeExpired(): Promise<number>;
}

export function createAssertionJtiStore(sql: Sql): AssertionJtiStore {
  return {
    async recordIfNew(clientId, jti, expiresAt) {
      const rows = await sql`
        insert into assertion_jtis (client_id, jti, expires_at) values (${clientId}, ${jti}, ${expiresAt})
        on conflict do nothing returning 1`;
      return rows.length === 1;
    },
    async purgeExpired() {
      const result = await sql`delete from assertion_jtis where expires_at < now()`;
      return result.count;
    },
  };
}
