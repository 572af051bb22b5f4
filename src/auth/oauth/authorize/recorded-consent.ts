import type { Account } from '../../accounts/account.js';
import type { RegisteredClient } from '../../clients/client.js';
import { isSharing } from '../../../access/consents/consent.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import type { PendingRequest } from './pending-request.js';

/**
 * What the account's recorded consent to the app means for a request (issue 5):
 *   missing         first use of the app, or its consent was withdrawn
 *   outdated        the app's access filter changed since the holder confirmed it
 *   narrower        active and current, but some requested scope was not approved
 *   covers          active, current, and every requested scope approved
 */
export type RecordedConsent = 'missing' | 'outdated' | 'narrower' | 'covers';

export async function recordedConsent(
  request: PendingRequest,
  client: RegisteredClient,
  account: Account,
  deps: Pick<AuthorizeDependencies, 'consents' | 'scopes'>,
): Promise<RecordedConsent> {
  const consent = await deps.consents.find(account.id, client.id);
  if (consent?.status !== 'active') return 'missing';
  // A consent confirmed for an older filter shares nothing until the holder confirms again.
  if (!isSharing(consent)) return 'outdated';
  return deps.scopes.narrow(request.scopes, consent.scopes).refused.length === 0 ? 'covers' : 'narrower';
}
