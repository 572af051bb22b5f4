import type { AccountService } from '../accounts/account-service.js';
import { findUser } from '../accounts/find-user.js';
import type { ServiceManager } from '../../storage/auth/service-manager-store.js';
import type { KeyActor, KeyService } from './key-service.js';

/** Whom a service's management goes to, as people name them: an account by id or email, or an organization or team by id. */
export type ManagerReference = { readonly account: string } | { readonly organization: string };

/**
 * Hands a service's management over (the API's `PUT …/manager`, the CLI's `client manager`).
 * The caller's right to do so is checked before the account is looked up, so only a manager
 * can learn from a 404 whether an email has an account. An unknown organization is `not-found`
 * from the store.
 */
export async function handOverManagement(
  keys: KeyService,
  accounts: Pick<AccountService, 'find' | 'findByEmail'>,
  clientId: string,
  to: ManagerReference,
  actor: KeyActor,
): Promise<ServiceManager> {
  await keys.managerOf(clientId, actor);
  const manager = 'account' in to ? { kind: 'account' as const, id: (await findUser(accounts, to.account)).id } : { kind: 'organization' as const, id: to.organization };
  return keys.setManager(clientId, manager, actor);
}
