import type { Sql } from 'postgres';
import type { Grant } from '../../auth/grants/grant.js';
import type { KeyType, ServiceKey } from '../../auth/keys/service-key.js';
import { oneRow } from '../one-row.js';
import type { NewRefreshToken } from './grant-store.js';
import { notifyRevoked } from './revocation-feed.js';

interface KeyRow {
  id: string;
  client_id: string;
  type: KeyType;
  name: string | null;
  secret_hash: Buffer | null;
  certificate_cn: string | null;
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function keyOf(r: KeyRow): ServiceKey {
  return {
    id: r.id,
    clientId: r.client_id,
    type: r.type,
    name: r.name ?? undefined,
    certificateCn: r.certificate_cn ?? undefined,
    createdBy: r.created_by ?? undefined,
    createdAt: r.created_at,
    expiresAt: r.expires_at ?? undefined,
    revokedAt: r.revoked_at ?? undefined,
    lastUsedAt: r.last_used_at ?? undefined,
  };
}

export interface NewServiceKey {
  readonly id: string;
  readonly clientId: string;
  readonly type: KeyType;
  readonly name: string | undefined;
  readonly secretHash: Buffer | undefined;
  readonly certificateCn: string | undefined;
  readonly createdBy: string | undefined;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
}

/** A refresh key's grant and its refresh token, written together. */
export interface KeyGrant {
  readonly grant: Omit<Grant, 'createdAt' | 'revoked'>;
  readonly refreshToken: NewRefreshToken;
}

export interface NewKeyCertificate {
  readonly thumbprint: Buffer;
  readonly keyId: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface ServiceKeyStore {
  /** Inserts the key, and for a refresh key its first grant and refresh token, in one transaction. */
  insert(key: NewServiceKey, first?: KeyGrant): Promise<ServiceKey>;
  find(id: string): Promise<{ readonly key: ServiceKey; readonly secretHash: Buffer | undefined } | undefined>;
  list(clientId: string): Promise<ServiceKey[]>;
  /**
   * Revokes the key (idempotent) and every live grant of it, announcing both on every node in the
   * same transaction. Undefined for an unknown key.
   */
  revoke(id: string): Promise<{ readonly key: ServiceKey; readonly revokedGrants: string[] } | undefined>;
  /**
   * A refresh: the key's next grant and refresh token; every other grant of the key is revoked
   * (only the newest pair works) and announced. Returns the revoked grant ids; undefined, and
   * nothing written, when the key has been revoked meanwhile.
   */
  rotate(keyId: string, next: KeyGrant): Promise<string[] | undefined>;
  insertCertificate(certificate: NewKeyCertificate): Promise<void>;
  /** Moves each key's last use forward to the time given (never back: nodes write in any order). */
  markUsed(uses: ReadonlyMap<string, Date>): Promise<void>;
  /** The key a certificate was signed for, by the SHA-256 of its DER. */
  certificateKey(thumbprint: Buffer): Promise<{ readonly key: ServiceKey; readonly notAfter: Date } | undefined>;
}

export function createServiceKeyStore(sql: Sql): ServiceKeyStore {
  const insertKeyGrant = async (tx: Sql, keyId: string, { grant: g, refreshToken: t }: KeyGrant) => {
    await tx`
      insert into grants (id, client_id, account_id, grant_type, scopes, context, expires_at, service_key_id)
      values (${g.id}, ${g.clientId}, null, ${g.grantType}, ${g.scopes as string[]}, '{}', ${g.expiresAt}, ${keyId})`;
    await tx`
      insert into refresh_tokens (id, secret_hash, grant_id, scopes, expires_at)
      values (${t.id}, ${t.secretHash}, ${t.grantId}, ${t.scopes as string[]}, ${t.expiresAt})`;
  };
  return {
    insert(k, first) {
      return sql.begin(async (tx) => {
        const [row] = await tx<KeyRow[]>`
          insert into service_keys (id, client_id, type, name, secret_hash, certificate_cn, created_by, created_at, expires_at)
          values (${k.id}, ${k.clientId}, ${k.type}, ${k.name ?? null}, ${k.secretHash ?? null}, ${k.certificateCn ?? null},
                  ${k.createdBy ?? null}, ${k.createdAt}, ${k.expiresAt ?? null})
          returning *`;
        if (first !== undefined) await insertKeyGrant(tx as unknown as Sql, k.id, first);
        return keyOf(oneRow(row));
      });
    },

    async find(id) {
      const [row] = await sql<KeyRow[]>`select * from service_keys where id = ${id}`;
      return row === undefined ? undefined : { key: keyOf(row), secretHash: row.secret_hash ?? undefined };
    },

    async list(clientId) {
      return (await sql<KeyRow[]>`select * from service_keys where client_id = ${clientId} order by created_at, id`).map(keyOf);
    },

    revoke(id) {
      return sql.begin(async (tx) => {
        const [row] = await tx<KeyRow[]>`update service_keys set revoked_at = coalesce(revoked_at, now()) where id = ${id} returning *`;
        if (row === undefined) return undefined;
        const grants = await tx<{ id: string }[]>`
          update grants set revoked_at = now() where service_key_id = ${id} and revoked_at is null returning id`;
        await notifyRevoked(tx as unknown as Sql, 'key', id);
        for (const g of grants) await notifyRevoked(tx as unknown as Sql, 'grant', g.id);
        return { key: keyOf(row), revokedGrants: grants.map((g) => g.id) };
      });
    },

    rotate(keyId, next) {
      return sql.begin(async (tx) => {
        // Locked (by the update, which also notes the refresh as the key's use) and checked here, not
        // only before: a revocation committing in between must not be outlived by the grant this
        // inserts (revoke takes the same row lock first).
        const [live] = await tx`update service_keys set last_used_at = now() where id = ${keyId} and revoked_at is null returning 1`;
        if (live === undefined) return undefined;
        const older = await tx<{ id: string }[]>`
          update grants set revoked_at = now() where service_key_id = ${keyId} and revoked_at is null returning id`;
        await insertKeyGrant(tx as unknown as Sql, keyId, next);
        for (const g of older) await notifyRevoked(tx as unknown as Sql, 'grant', g.id);
        return older.map((g) => g.id);
      });
    },

    async insertCertificate(c) {
      await sql`
        insert into key_certificates (thumbprint, key_id, serial, not_before, not_after)
        values (${c.thumbprint}, ${c.keyId}, ${c.serial}, ${c.notBefore}, ${c.notAfter})`;
    },

    async markUsed(uses) {
      if (uses.size === 0) return;
      const ids = [...uses.keys()];
      const ats = [...uses.values()].map((at) => at.toISOString());
      await sql`
        update service_keys k set last_used_at = u.at
        from unnest(${sql.array(ids)}::text[], ${sql.array(ats)}::timestamptz[]) as u (id, at)
        where k.id = u.id and (k.last_used_at is null or k.last_used_at < u.at)`;
    },

    async certificateKey(thumbprint) {
      const [row] = await sql<(KeyRow & { not_after: Date })[]>`
        select k.*, c.not_after from key_certificates c join service_keys k on k.id = c.key_id where c.thumbprint = ${thumbprint}`;
      return row === undefined ? undefined : { key: keyOf(row), notAfter: row.not_after };
    },
  };
}
