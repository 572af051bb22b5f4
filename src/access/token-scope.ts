import type { RegisteredClient } from '../auth/clients/client.js';
import type { AccessTokenClaims } from '../auth/tokens/access-token.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { consentRule, type ApplicationRule } from './consent-rule.js';
import type { AccessScope } from './scope.js';
import { compileSmartRule, type SmartDefinitions } from './smart-access.js';

/** What turning a verified token into its scope needs to look up. */
export interface TokenScopeDeps {
  readonly defs: SmartDefinitions;
  /** The account's own Patient (the compartment that is theirs), if any. */
  readonly accountPatient: (accountId: string) => Promise<string | undefined>;
  /** The application's compiled filter (cached by the caller per client, filter version and taxonomy). */
  readonly applicationRule: (client: RegisteredClient) => ApplicationRule;
}

/**
 * The AccessScope of a request made with a verified access token (docs/access.md): its SMART
 * scopes, the client's access filter and write mode, and whose records its consents reach.
 * `client` is the token's client as registered now: a filter saved since the token was issued
 * applies to it at once.
 */
export async function tokenScope(claims: AccessTokenClaims, client: RegisteredClient | undefined, deps: TokenScopeDeps): Promise<AccessScope> {
  if (client === undefined || client.revoked) throw new FhirkeepError('unauthorized', 'The application this token was issued to is no longer registered');
  const smart = compileSmartRule(parseScopeString(claims.scope), claims.patient === undefined ? {} : { patient: claims.patient }, deps.defs);
  const patient = claims.account === undefined ? undefined : await deps.accountPatient(claims.account);
  const rule = consentRule(smart, client, deps.applicationRule(client), { accountId: claims.account, patient, organizationId: undefined });
  return {
    principal: {
      kind: 'token',
      clientId: claims.client_id,
      accountId: claims.account,
      grantId: claims.gid,
      scopes: claims.scope === '' ? [] : claims.scope.split(' '),
      patient: claims.patient,
      fhirUser: claims.fhirUser,
    },
    read: rule,
    write: rule,
    ownerAccount: claims.account ?? null,
    sourceApp: claims.client_id,
  };
}
