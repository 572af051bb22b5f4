import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { AccountService } from './account-service.js';
import type { Account } from './account.js';

/** A user named by id or by email, as people name them (the CLI, a service's manager hand-over). */
export async function findUser(accounts: Pick<AccountService, 'find' | 'findByEmail'>, ref: string): Promise<Account> {
  const account = (await accounts.find(ref)) ?? (ref.includes('@') ? await accounts.findByEmail(ref) : undefined);
  if (account === undefined) throw new FhirkeepError('not-found', `No user ${ref}`);
  return account;
}
