import type { Sql } from 'postgres';
import type { PendingRequest, StoredAuthorizationRequest } from '../../auth/oauth/authorize/pending-request.js';

interface RequestRow {
  id: string;
  params: PendingRequest;
  browser_hash: Buffer | null;
  account_id: string | null;
  patient_id: string | null;
}

function requestOf(r: RequestRow): StoredAuthorizationRequest {
  return {
    id: r.id,
    request: r.params,
    browserHash: r.browser_hash ?? undefined,
    accountId: r.account_id ?? undefined,
    patientId: r.patient_id ?? undefined,
  };
}

/** Pending /oauth2/authorize requests; an expired one is as good as absent. */
export interface AuthorizationRequestStore {
  insert(id: string, request: PendingRequest, expiresAt: Date): Promise<void>;
  find(id: string): Promise<StoredAuthorizationRequest | undefined>;
  /** Binds the request to the first browser that opens it; true when it is (now) bound to this one. */
  bindBrowser(id: string, browserHash: Buffer): Promise<boolean>;
  /** Records who signed in; a different account than before loses the patient the other one picked. */
  setAccount(id: string, accountId: string): Promise<void>;
  setPatient(id: string, patientId: string): Promise<void>;
  /** Removes and returns the request in one statement: of two concurrent decisions, one wins. */
  take(id: string, browserHash: Buffer): Promise<StoredAuthorizationRequest | undefined>;
}

/** Expired rows removed per new request: keeps the table small without ever slowing a request down. */
const PURGE_BATCH = 100;

export function createAuthorizationRequestStore(sql: Sql): AuthorizationRequestStore {
  return {
    async insert(id, request, expiresAt) {
      await sql`
        with purge as (
          delete from authorization_requests
          where id in (select id from authorization_requests where expires_at < now() limit ${PURGE_BATCH})
        )
        insert into authorization_requests (id, params, expires_at) values (${id}, ${sql.json(request as never)}, ${expiresAt})`;
    },

    async find(id) {
      const [row] = await sql<RequestRow[]>`select id, params, browser_hash, account_id, patient_id from authorization_requests where id = ${id} and expires_at > now()`;
      return row === undefined ? undefined : requestOf(row);
    },

    async bindBrowser(id, browserHash) {
      const [row] = await sql<{ bound: boolean }[]>`
        update authorization_requests set browser_hash = coalesce(browser_hash, ${browserHash})
        where id = ${id} and expires_at > now()
        returning browser_hash = ${browserHash} as bound`;
      return row?.bound === true;
    },

    async setAccount(id, accountId) {
      // A patient picked while someone else was signed in is not this account's to share.
      await sql`
        update authorization_requests
        set patient_id = case when account_id is distinct from ${accountId} then null else patient_id end, account_id = ${accountId}
        where id = ${id}`;
    },

    async setPatient(id, patientId) {
      await sql`update authorization_requests set patient_id = ${patientId} where id = ${id}`;
    },

    async take(id, browserHash) {
      const [row] = await sql<RequestRow[]>`
        delete from authorization_requests
        where id = ${id} and browser_hash = ${browserHash} and expires_at > now()
        returning id, params, browser_hash, account_id, patient_id`;
      return row === undefined ? undefined : requestOf(row);
    },
  };
}
