import type { Sql } from 'postgres';
import type { Grant, GrantType, LaunchContext } from '../../auth/grants/grant.js';
import { notifyRevoked } from './revocation-feed.js';

interface GrantRow {
  id: string;
  client_id: string;
  account_id: string | null;
  grant_type: GrantType;
  scopes: string[];
  context: LaunchContext;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  service_key_id: string | null;
}

function grantOf(r: GrantRow): Grant {
  return {
    id: r.id,
    clientId: r.client_id,
    accountId: r.account_id ?? undefined,
    grantType: r.grant_type,
    scopes: r.scopes,
    context: r.context,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revoked: r.revoked_at !== null,
    ...(r.service_key_id === null ? {} : { serviceKeyId: r.service_key_id }),
  };
}

/** A grant as the authorization server decides it; the store adds its creation time. */
export type NewGrant = Omit<Grant, 'createdAt' | 'revoked'>;

export interface NewCode {
  readonly codeHash: Buffer;
  readonly grantId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | undefined;
  readonly nonce: string | undefined;
  readonly expiresAt: Date;
}

export interface RedeemedCode {
  readonly grant: Grant;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | undefined;
  readonly nonce: string | undefined;
  readonly expiresAt: Date;
  /** True when this code had been redeemed before: RFC 6749 §4.1.2 asks to revoke its grant. */
  readonly reused: boolean;
}

export interface NewRefreshToken {
  readonly id: string;
  readonly secretHash: Buffer;
  readonly grantId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: Date;
}

export interface UsedRefreshToken {
  readonly grant: Grant;
  /** True when the token had been used before (a replay): the caller revokes its family. */
  readonly reused: boolean;
}

export interface RefreshTokenInfo {
  readonly grant: Grant;
  readonly secretHash: Buffer;
  readonly scopes: readonly string[];
  readonly expiresAt: Date;
  readonly used: boolean;
}

/** Grants and what hangs off them: authorization codes, refresh tokens, launch contexts. */
export interface GrantStore {
  insertGrant(grant: NewGrant): Promise<Grant>;
  insertCode(code: NewCode): Promise<void>;
  /** Marks the code used and returns it with its grant, in one statement; undefined if unknown. */
  redeemCode(codeHash: Buffer): Promise<RedeemedCode | undefined>;
  insertRefreshToken(token: NewRefreshToken): Promise<void>;
  /** Marks the token used (rotation) and returns it with its grant; undefined if unknown. */
  useRefreshToken(id: string): Promise<UsedRefreshToken | undefined>;
  /** Reads a refresh token without using it (introspection, revocation). */
  findRefreshToken(id: string): Promise<RefreshTokenInfo | undefined>;
  /**
   * Revokes a grant (and so every token under it) and tells every node at once. A grant id
   * with no row (client-credentials tokens are not stored) gets a revoked row of its own.
   */
  revokeGrant(grant: { readonly id: string; readonly clientId: string; readonly expiresAt: Date }): Promise<void>;
  /**
   * Revokes every live grant an account holds for a client (a withdrawn consent) and tells every
   * node at once; returns the ids revoked.
   */
  revokeGrantsOf(accountId: string, clientId: string): Promise<string[]>;
  insertLaunch(launchHash: Buffer, clientId: string | undefined, context: LaunchContext, expiresAt: Date): Promise<void>;
  /** Marks a launch used and returns its context, if it exists, is unused, unexpired and (when bound) the client's. */
  consumeLaunch(launchHash: Buffer, clientId: string): Promise<LaunchContext | undefined>;
}

export function createGrantStore(sql: Sql): GrantStore {
  return {
    async insertGrant(g) {
      const [row] = await sql<GrantRow[]>`
        insert into grants (id, client_id, account_id, grant_type, scopes, context, expires_at)
        values (${g.id}, ${g.clientId}, ${g.accountId ?? null}, ${g.grantType}, ${g.scopes as string[]}, ${sql.json(g.context as never)}, ${g.expiresAt})
        returning *`;
      return grantOf(row!);
    },

    async insertCode(c) {
      await sql`
        insert into authorization_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, nonce, expires_at)
        values (${c.codeHash}, ${c.grantId}, ${c.clientId}, ${c.redirectUri}, ${c.codeChallenge ?? null}, ${c.nonce ?? null}, ${c.expiresAt})`;
    },

    async redeemCode(codeHash) {
      // The prior used_at comes from a locked read in the same statement, so of two concurrent
      // redemptions exactly one sees "unused".
      const [row] = await sql<(GrantRow & { code_client: string; redirect_uri: string; code_challenge: string | null; nonce: string | null; code_expires: Date; prior: Date | null })[]>`
        with prior as (
          select code_hash, used_at from authorization_codes where code_hash = ${codeHash} for update
        ), used as (
          update authorization_codes c set used_at = coalesce(c.used_at, now())
          from prior where c.code_hash = prior.code_hash
          returning c.grant_id, c.client_id, c.redirect_uri, c.code_challenge, c.nonce, c.expires_at, prior.used_at as prior
        )
        select g.*, u.client_id as code_client, u.redirect_uri, u.code_challenge, u.nonce, u.expires_at as code_expires, u.prior
        from used u join grants g on g.id = u.grant_id`;
      if (row === undefined) return undefined;
      return {
        grant: grantOf(row),
        clientId: row.code_client,
        redirectUri: row.redirect_uri,
        codeChallenge: row.code_challenge ?? undefined,
        nonce: row.nonce ?? undefined,
        expiresAt: row.code_expires,
        reused: row.prior !== null,
      };
    },

    async insertRefreshToken(t) {
      await sql`
        insert into refresh_tokens (id, secret_hash, grant_id, scopes, expires_at)
        values (${t.id}, ${t.secretHash}, ${t.grantId}, ${t.scopes as string[]}, ${t.expiresAt})`;
    },

    async useRefreshToken(id) {
      const [row] = await sql<(GrantRow & { prior: Date | null })[]>`
        with prior as (
          select id, used_at from refresh_tokens where id = ${id} for update
        ), used as (
          update refresh_tokens t set used_at = coalesce(t.used_at, now())
          from prior where t.id = prior.id
          returning t.grant_id, prior.used_at as prior
        )
        select g.*, u.prior from used u join grants g on g.id = u.grant_id`;
      if (row === undefined) return undefined;
      return { grant: grantOf(row), reused: row.prior !== null };
    },

    async findRefreshToken(id) {
      const [row] = await sql<(GrantRow & { secret_hash: Buffer; token_scopes: string[]; token_expires: Date; token_used: Date | null })[]>`
        select g.*, t.secret_hash, t.scopes as token_scopes, t.expires_at as token_expires, t.used_at as token_used
        from refresh_tokens t join grants g on g.id = t.grant_id where t.id = ${id}`;
      if (row === undefined) return undefined;
      return { grant: grantOf(row), secretHash: row.secret_hash, scopes: row.token_scopes, expiresAt: row.token_expires, used: row.token_used !== null };
    },

    async revokeGrant(g) {
      await sql.begin(async (tx) => {
        await tx`
          insert into grants (id, client_id, grant_type, scopes, expires_at, revoked_at)
          values (${g.id}, ${g.clientId}, 'client_credentials', '{}', ${g.expiresAt}, now())
          on conflict (id) do update set revoked_at = coalesce(grants.revoked_at, now())`;
        await notifyRevoked(tx as unknown as Sql, 'grant', g.id);
      });
    },

    revokeGrantsOf(accountId, clientId) {
      return sql.begin(async (tx) => {
        const rows = await tx<{ id: string }[]>`
          update grants set revoked_at = now()
          where account_id = ${accountId} and client_id = ${clientId} and revoked_at is null and expires_at > now()
          returning id`;
        for (const { id } of rows) await notifyRevoked(tx as unknown as Sql, 'grant', id);
        return rows.map((r) => r.id);
      });
    },

    async insertLaunch(launchHash, clientId, context, expiresAt) {
      await sql`
        insert into launch_contexts (launch_hash, client_id, context, expires_at)
        values (${launchHash}, ${clientId ?? null}, ${sql.json(context as never)}, ${expiresAt})`;
    },

    async consumeLaunch(launchHash, clientId) {
      const [row] = await sql<{ context: LaunchContext }[]>`
        update launch_contexts set used_at = now()
        where launch_hash = ${launchHash} and used_at is null and expires_at > now()
          and (client_id is null or client_id = ${clientId})
        returning context`;
      return row?.context;
    },
  };
}
