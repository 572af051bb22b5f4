import type { Account } from '../../accounts/account.js';
import type { StoredAuthorizationRequest } from './pending-request.js';

/** Where the patient context of a request comes from, if it needs one. */
export type PatientChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'known'; readonly patientId: string }
  /** A practitioner or an administrator picks the patient. */
  | { readonly kind: 'pick' }
  /** `launch/patient` was asked for, but this account has no patient to give. */
  | { readonly kind: 'unavailable' };

/** Practitioners and administrators work on other people's records; they choose which. */
export function canPickPatients(account: Account): boolean {
  return account.roles.includes('practitioner') || account.roles.includes('admin');
}

/**
 * SMART App Launch 2.x §"launch context arrives with your access token": an EHR launch names
 * the patient; otherwise `launch/patient` asks the server to establish one.
 */
export function patientChoice(stored: StoredAuthorizationRequest, account: Account): PatientChoice {
  const fromLaunch = stored.request.launch?.patient;
  if (fromLaunch !== undefined) return { kind: 'known', patientId: fromLaunch };
  if (!stored.request.scopes.includes('launch/patient')) return { kind: 'none' };
  if (stored.patientId !== undefined) return { kind: 'known', patientId: stored.patientId };
  if (canPickPatients(account)) return { kind: 'pick' };
  // An account holder shares their own record: nothing to choose.
  if (account.roles.includes('patient') && account.patientId !== undefined) return { kind: 'known', patientId: account.patientId };
  return { kind: 'unavailable' };
}
