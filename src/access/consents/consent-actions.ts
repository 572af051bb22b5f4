import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ConsentQuery } from '../../storage/access/consent-store.js';
import type { Consent, ConsentStatus } from './consent.js';
import type { ConsentGrantInput } from './consent-input.js';
import { checkMayGrant, mayChangeTo, mayManage, visibleQuery, type ConsentCaller } from './consent-permissions.js';
import type { ConsentService } from './consent-service.js';

/**
 * What a caller may do with consents, as `/api/consents` does it: the API routes and the
 * portal's pages both call these, so a page never has a power the API lacks.
 */

/** The consent, if the caller may manage it; otherwise `not-found`, as for no consent at all (ids cannot be probed). */
export async function findManaged(consents: Pick<ConsentService, 'find'>, caller: ConsentCaller, id: string): Promise<Consent> {
  const found = await consents.find(id);
  if (found === undefined || !mayManage(caller, found)) throw new FhirkeepError('not-found', `There is no consent ${id}`);
  return found;
}

/** Moves a consent the caller manages; `forbidden` when the move is not theirs to make (an organization re-activating a holder's share). */
export async function changeStatus(consents: Pick<ConsentService, 'find' | 'setStatus'>, caller: ConsentCaller, id: string, status: ConsentStatus): Promise<Consent> {
  const consent = await findManaged(consents, caller, id);
  if (!mayChangeTo(caller, consent, status)) throw new FhirkeepError('forbidden', `Only the account holder may make their consent ${status}`);
  return consents.setStatus(consent.id, status, caller.accountId);
}

/** Grants, if the caller may grant this consent (`forbidden` otherwise), recording the caller as the actor. */
export async function grantAs(consents: Pick<ConsentService, 'grant'>, caller: ConsentCaller, input: ConsentGrantInput): Promise<Consent> {
  checkMayGrant(caller, input);
  return consents.grant(input, caller.accountId);
}

/** The consents matching the query that the caller may see, newest first. */
export function listVisible(consents: Pick<ConsentService, 'list'>, caller: ConsentCaller, query: ConsentQuery): Promise<Consent[]> {
  return consents.list(visibleQuery(caller, query));
}
