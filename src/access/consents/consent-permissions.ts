import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ConsentQuery } from '../../storage/access/consent-store.js';
import type { Consent, ConsentStatus } from './consent.js';
import type { ConsentGrantInput } from './consent-input.js';

/** Who manages consents through the API: an account, whether an admin, and the organizations it manages. */
export interface ConsentCaller {
  readonly accountId: string;
  readonly admin: boolean;
  readonly managedOrganizations: readonly string[];
}

/**
 * Who may see and change a consent (issue 5): its account holder, a manager of its organization,
 * an admin. Anyone else is answered as if it did not exist.
 */
export function mayManage(caller: ConsentCaller, consent: Consent): boolean {
  if (caller.admin || consent.accountId === caller.accountId) return true;
  return consent.organizationId !== undefined && caller.managedOrganizations.includes(consent.organizationId);
}

/**
 * Whether the caller may move the consent to `status`. A holder's decision is theirs: the
 * organization a holder shares with sees that share and may decline or stop it (rejected,
 * inactive), but never make it active again — only the holder (or an admin) does. The
 * organization's own consents (to a broker) are its managers' to change.
 */
export function mayChangeTo(caller: ConsentCaller, consent: Consent, status: ConsentStatus): boolean {
  if (caller.admin || (consent.accountId !== undefined && consent.accountId === caller.accountId)) return true;
  if (consent.organizationId === undefined || !caller.managedOrganizations.includes(consent.organizationId)) return false;
  return consent.accountId === undefined || status === 'rejected' || status === 'inactive';
}

/** Narrows a listing to what the caller may see. */
export function visibleQuery(caller: ConsentCaller, query: ConsentQuery): ConsentQuery {
  return caller.admin ? query : { ...query, visibleTo: { accountId: caller.accountId, organizationIds: caller.managedOrganizations } };
}

/**
 * Who may grant what: an account holder consents for themselves (app, service, organization),
 * an organization's manager for the organization (broker), an admin anything. Throws `forbidden`.
 */
export function checkMayGrant(caller: ConsentCaller, input: ConsentGrantInput): void {
  if (caller.admin) return;
  if (input.accountId !== undefined) {
    if (input.accountId !== caller.accountId) throw new FhirkeepError('forbidden', 'An account holder grants consents for their own account only');
    return;
  }
  if (input.organizationId === undefined || !caller.managedOrganizations.includes(input.organizationId)) {
    throw new FhirkeepError('forbidden', "Only a manager of the organization grants the organization's consents");
  }
}

/**
 * The caller as the consent rules see an account: an admin, and the organizations it manages.
 * The API and the portal's pages build it alike, so neither grants more than the other.
 */
export async function consentCallerOf(
  account: { readonly id: string; readonly roles: readonly string[] },
  organizationsOf: (accountId: string) => Promise<readonly { readonly organization: { readonly id: string }; readonly role: string }[]>,
): Promise<ConsentCaller> {
  const memberships = await organizationsOf(account.id);
  return {
    accountId: account.id,
    admin: account.roles.includes('admin'),
    managedOrganizations: memberships.filter((m) => m.role === 'manager').map((m) => m.organization.id),
  };
}
