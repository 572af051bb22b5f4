import { createAccountService, type AccountService } from '../auth/accounts/account-service.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import { withDatabase } from './with-database.js';

/** Runs `work` with the account service on the configured database (see withDatabase). */
export function withAccounts<T>(work: (accounts: AccountService) => Promise<T>): Promise<T> {
  return withDatabase((db, logger) => work(createAccountService({ db, record: securityEventRecorder(db.sql, logger) })));
}
