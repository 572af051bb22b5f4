import { fhirUserOf, type Account } from '../../accounts/account.js';
import type { LaunchContext } from '../../grants/grant.js';
import type { PendingRequest } from './pending-request.js';

/**
 * The context a grant carries into its tokens: only what the granted scopes ask for, so a
 * scope the user unticked takes its context with it.
 */
export function grantContext(request: PendingRequest, granted: readonly string[], patientId: string | undefined, account: Account): LaunchContext {
  const has = (scope: string): boolean => granted.includes(scope);
  const ehr = request.launch !== undefined && has('launch') ? request.launch : undefined;
  // patient/ scopes mean nothing without the patient they are about.
  const patient = has('launch') || has('launch/patient') || granted.some((s) => s.startsWith('patient/')) ? patientId : undefined;
  const encounter = has('launch') || has('launch/encounter') ? request.launch?.encounter : undefined;
  // SMART App Launch 2.x §"Scopes for requesting identity data": fhirUser needs openid too.
  const fhirUser = has('openid') && has('fhirUser') ? fhirUserOf(account) : undefined;
  return {
    ...(patient === undefined ? {} : { patient }),
    ...(encounter === undefined ? {} : { encounter }),
    ...(ehr?.fhirContext === undefined ? {} : { fhirContext: ehr.fhirContext }),
    ...(ehr?.needPatientBanner === undefined ? {} : { needPatientBanner: ehr.needPatientBanner }),
    ...(ehr?.smartStyleUrl === undefined ? {} : { smartStyleUrl: ehr.smartStyleUrl }),
    ...(ehr?.intent === undefined ? {} : { intent: ehr.intent }),
    ...(fhirUser === undefined ? {} : { fhirUser }),
  };
}

