import type { Sql } from 'postgres';

/** NOTIFY channel every node's revocation view listens on. Payload: `<kind>:<id>`. */
export const REVOCATION_CHANNEL = 'fhirkeep_revocations';

/** What can be revoked and so kills live credentials: a grant, a whole client, an account, a service key. */
export type RevokedKind = 'grant' | 'client' | 'account' | 'key';

export interface RevocationSnapshot {
  readonly grants: readonly string[];
  readonly clients: readonly string[];
  readonly accounts: readonly string[];
  readonly keys: readonly string[];
}

export interface RevocationFeed {
  /** Grants revoked after `since` (older ones have no live tokens left), every revoked client and disabled account, every revoked key not yet expired. */
  snapshot(since: Date): Promise<RevocationSnapshot>;
  /**
   * Listens for revocations. `onListen` runs whenever the listening connection is (re)established:
   * notifications sent while it was down are lost, so the caller reloads its snapshot then.
   */
  listen(onRevoked: (kind: RevokedKind, id: string) => void, onListen: () => void): Promise<{ unlisten(): Promise<void> }>;
}

export function createRevocationFeed(sql: Sql): RevocationFeed {
  return {
    async snapshot(since) {
      const [grants, clients, accounts, keys] = await Promise.all([
        sql<{ id: string }[]>`select id from grants where revoked_at > ${since}`,
        sql<{ id: string }[]>`select id from clients where revoked_at is not null`,
        sql<{ id: string }[]>`select id from accounts where disabled_at is not null`,
        // An expired static key fails its expiry check anyway; a certificate key has no expiry.
        sql<{ id: string }[]>`select id from service_keys where revoked_at is not null and (expires_at is null or expires_at > now())`,
      ]);
      return { grants: grants.map((r) => r.id), clients: clients.map((r) => r.id), accounts: accounts.map((r) => r.id), keys: keys.map((r) => r.id) };
    },
    async listen(onRevoked, onListen) {
      const { unlisten } = await sql.listen(
        REVOCATION_CHANNEL,
        (payload) => {
          const colon = payload.indexOf(':');
          const kind = payload.slice(0, colon);
          if (kind === 'grant' || kind === 'client' || kind === 'account' || kind === 'key') onRevoked(kind, payload.slice(colon + 1));
        },
        onListen,
      );
      return { unlisten };
    },
  };
}

/** Tells every node (this one included) that something was revoked; call inside the revoking transaction. */
export async function notifyRevoked(sql: Sql, kind: RevokedKind, id: string): Promise<void> {
  await sql`select pg_notify(${REVOCATION_CHANNEL}, ${`${kind}:${id}`})`;
}
