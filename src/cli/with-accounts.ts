import { createAccountService, type AccountService } from '../auth/accounts/account-service.js';
import type { Account } from '../auth/accounts/account.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import { withDatabase } from './with-database.js';

/** Runs `work` with the account service on the configured database (see withDatabase). */
export function withAccounts<T>(work: (accounts: AccountService) => Promise<T>): Promise<T> {
  return withDatabase((db, logger) => work(createAccountService({ db, record: securityEventRecorder(db.sql, logger) })));
}

/** A user named on the command line by id or by email. */
export async function findUser(accounts: AccountService, ref: string): Promise<Account> {
  const account = (await accounts.find(ref)) ?? (ref.includes('@') ? await accounts.findByEmail(ref) : undefined);
  if (account === undefined) throw new FhirkeepError('not-found', `No user ${ref}`);
  return account;
}
