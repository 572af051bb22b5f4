import type { AccountService } from '../../../auth/accounts/account-service.js';
import { writePatientThrough } from '../../../auth/accounts/sign-up.js';
import type { SessionService } from '../../../auth/sessions/session-service.js';
import type { FhirRequest, FhirResponse } from '../../../rest/fhir-request.js';
import type { PortalRoute } from '../../portal-route.js';
import { accountPages } from './account-page.js';
import { signUpPages } from './sign-up.js';

export interface AccountAreaDeps {
  readonly accounts: Pick<AccountService, 'admitSignUp' | 'create' | 'discardSignUp' | 'organizationsOf' | 'changePassword'>;
  readonly sessions: Pick<SessionService, 'start' | 'startAlone'>;
  /** The FHIR router: an account holder's Patient is written through it. */
  readonly fhir: (request: FhirRequest) => Promise<FhirResponse>;
}

/** The portal's account area (docs/portal/portal-account.md): sign-up, the account page, the password change. */
export function accountAreaPages(deps: AccountAreaDeps): PortalRoute[] {
  return [
    ...signUpPages({ accounts: deps.accounts, sessions: deps.sessions, writePatient: writePatientThrough(deps.fhir) }),
    ...accountPages({ accounts: deps.accounts, sessions: deps.sessions }),
  ];
}
