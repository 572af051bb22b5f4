import { destination, pino } from 'pino';
import { createAccountService, type AccountService } from '../auth/accounts/account-service.js';
import type { Account } from '../auth/accounts/account.js';
import { loadConfig } from '../config/load.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import { openDatabase } from '../storage/database.js';

/**
 * Runs `work` with the account service on the configured database, beside a running server too
 * (CONTRACT.md: the CLI shares its embedded cluster), and closes the database afterwards.
 */
export async function withAccounts<T>(work: (accounts: AccountService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel }, destination(2));
  const db = await openDatabase(config, logger, { clusterMode: 'share' });
  try {
    return await work(createAccountService({ db, record: securityEventRecorder(db.sql, logger) }));
  } finally {
    // Waits for queued queries, so the security events of the command are written before exit.
    await db.close();
  }
}

/** A user named on the command line by id or by email. */
export async function findUser(accounts: AccountService, ref: string): Promise<Account> {
  const account = (await accounts.find(ref)) ?? (ref.includes('@') ? await accounts.findByEmail(ref) : undefined);
  if (account === undefined) throw new FhirkeepError('not-found', `No user ${ref}`);
  return account;
}
