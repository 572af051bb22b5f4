import type { Account } from '../../accounts/account.js';
import type { RegisteredClient } from '../../clients/client.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import type { PendingRequest } from './pending-request.js';

/**
 * What the holder's recorded consent means for a request (issue 5):
 *   not-applicable  the request shares no record of the account's own: the page decides alone
 *   missing         first use of the app, or its consent was withdrawn
 *   outdated        the app's access filter changed since the holder confirmed it
 *   narrower        active and current, but some requested scope was not approved
 *   covers          active, current, and every requested scope approved
 */
export type RecordedConsent = 'not-applicable' | 'missing' | 'outdated' | 'narrower' | 'covers';

/**
 * A holder → app consent shares the holder's own record, so it is recorded (and consulted) when
 * the account has a linked Patient and the request's patient, if any, is that one. A
 * practitioner working on someone else's record decides on the page every time.
 */
export function sharesOwnRecord(account: Account, patientId: string | undefined): boolean {
  return account.patientId !== undefined && (patientId === undefined || patientId === account.patientId);
}

export async function recordedConsent(
  request: PendingRequest,
  client: RegisteredClient,
  account: Account,
  patientId: string | undefined,
  deps: Pick<AuthorizeDependencies, 'consents' | 'scopes'>,
): Promise<RecordedConsent> {
  if (!sharesOwnRecord(account, patientId)) return 'not-applicable';
  const consent = await deps.consents.find(account.id, client.id);
  if (consent?.status !== 'active') return 'missing';
  // A consent confirmed for an older filter shares nothing until the holder confirms again.
  if (consent.filterVersion !== client.filterVersion) return 'outdated';
  return deps.scopes.narrow(request.scopes, consent.scopes).refused.length === 0 ? 'covers' : 'narrower';
}
