import type { Sql } from 'postgres';
import type { HieProfile } from '../../auth/dialects/hie/profile.js';

/** A live session as a request needs it: whose, through which client, and the account's state now. */
export interface LiveHieSession {
  readonly accountId: string;
  /** The client that signed it in. */
  readonly hieClient: string;
  readonly accountDisabled: boolean;
  readonly accountActivated: boolean;
  readonly profiles: readonly HieProfile[];
}

/** Users' HIE sessions: the access token is the secret, the row only its SHA-256. */
export interface HieSessionStore {
  insert(tokenHash: Buffer, accountId: string, hieClient: string, expiresAt: Date): Promise<void>;
  /**
   * The session, if it is live: not signed out, not expired, its client not revoked; with the
   * account's state and profiles read in the same statement.
   */
  live(tokenHash: Buffer): Promise<LiveHieSession | undefined>;
  /** Ends the live session if `hieClient` signed it in, returning its account; undefined when there is no such session. */
  end(tokenHash: Buffer, hieClient: string): Promise<string | undefined>;
}

/** Expired rows removed per sign-in: enough to keep up, small enough never to slow one. */
const PURGE_BATCH = 100;

export function createHieSessionStore(sql: Sql): HieSessionStore {
  return {
    async insert(tokenHash, accountId, hieClient, expiresAt) {
      await sql`
        with purge as (
          delete from hie_sessions where token_hash in (select token_hash from hie_sessions where expires_at < now() limit ${PURGE_BATCH})
        )
        insert into hie_sessions (token_hash, account_id, hie_client, expires_at) values (${tokenHash}, ${accountId}, ${hieClient}, ${expiresAt})`;
    },

    async live(tokenHash) {
      const [row] = await sql<{ account_id: string; hie_client: string; disabled: boolean; activated: boolean; profiles: { type: HieProfile['type']; id: string; catchments: string[] }[] }[]>`
        select s.account_id, s.hie_client, a.disabled_at is not null as disabled, a.activated_at is not null as activated,
               coalesce((select json_agg(json_build_object('type', p.type, 'id', p.profile_id, 'catchments', p.catchments) order by p.type, p.profile_id)
                         from account_profiles p where p.account_id = s.account_id), '[]') as profiles
        from hie_sessions s
        join hie_clients c on c.id = s.hie_client
        join accounts a on a.id = s.account_id
        where s.token_hash = ${tokenHash} and s.ended_at is null and s.expires_at > now() and c.revoked_at is null`;
      if (row === undefined) return undefined;
      return { accountId: row.account_id, hieClient: row.hie_client, accountDisabled: row.disabled, accountActivated: row.activated, profiles: row.profiles };
    },

    async end(tokenHash, hieClient) {
      const [row] = await sql<{ account_id: string }[]>`
        update hie_sessions set ended_at = now()
        where token_hash = ${tokenHash} and hie_client = ${hieClient} and ended_at is null and expires_at > now()
        returning account_id`;
      return row?.account_id;
    },
  };
}
