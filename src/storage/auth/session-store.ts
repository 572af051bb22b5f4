import type { Sql } from 'postgres';

/** Browser sessions of the login page: the cookie holds the secret, the row only its SHA-256. */
export interface SessionStore {
  insert(idHash: Buffer, accountId: string, expiresAt: Date): Promise<void>;
  /** The account of the session, if it exists and has not expired. */
  findAccount(idHash: Buffer): Promise<string | undefined>;
  delete(idHash: Buffer): Promise<void>;
  /** Ends every session of an account (a password change signs out every other browser). */
  deleteAllOf(accountId: string): Promise<void>;
}

/** Expired rows removed per login: enough to keep up, small enough never to slow a login. */
const PURGE_BATCH = 100;

export function createSessionStore(sql: Sql): SessionStore {
  return {
    async insert(idHash, accountId, expiresAt) {
      await sql`
        with purge as (
          delete from sessions where id_hash in (select id_hash from sessions where expires_at < now() limit ${PURGE_BATCH})
        )
        insert into sessions (id_hash, account_id, expires_at) values (${idHash}, ${accountId}, ${expiresAt})`;
    },

    async findAccount(idHash) {
      const [row] = await sql<{ account_id: string }[]>`select account_id from sessions where id_hash = ${idHash} and expires_at > now()`;
      return row?.account_id;
    },

    async delete(idHash) {
      await sql`delete from sessions where id_hash = ${idHash}`;
    },

    async deleteAllOf(accountId) {
      await sql`delete from sessions where account_id = ${accountId}`;
    },
  };
}
