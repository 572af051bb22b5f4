import type { Sql } from 'postgres';
import { createHieAccountStore } from '../../../storage/auth/hie-account-store.js';
import { createHieClientStore } from '../../../storage/auth/hie-client-store.js';
import { createHieSessionStore } from '../../../storage/auth/hie-session-store.js';
import type { AccountService } from '../../accounts/account-service.js';
import type { RecordSecurityEvent } from '../../security-events.js';
import { createHieAccounts, type HieAccounts } from './hie-accounts.js';
import { createHieClients, type HieClients } from './hie-clients.js';
import { createHieSessions, type HieSessions } from './hie-sessions.js';

/** The HIE login dialect (docs/hie.md): organizations' credentials, users' sessions, and their profiles. */
export interface HieService {
  readonly clients: HieClients;
  readonly sessions: HieSessions;
  readonly accounts: HieAccounts;
}

/**
 * Opens the dialect on a database. Nothing is cached: each request reads its session, account
 * and profiles in one statement, so a sign-out, a revoked client, a disabled account or a
 * changed catchment holds from the next request on every node.
 */
export function createHieService(deps: { readonly db: { readonly sql: Sql }; readonly accounts: AccountService; readonly record: RecordSecurityEvent }): HieService {
  const { sql } = deps.db;
  const store = createHieAccountStore(sql);
  return {
    clients: createHieClients({ store: createHieClientStore(sql), record: deps.record }),
    sessions: createHieSessions({ sessions: createHieSessionStore(sql), accounts: store, authenticate: deps.accounts.authenticate, record: deps.record }),
    accounts: createHieAccounts({ store, accounts: deps.accounts, record: deps.record }),
  };
}
