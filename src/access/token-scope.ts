import type { RegisteredClient } from '../auth/clients/client.js';
import type { AccessTokenClaims } from '../auth/tokens/access-token.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { consentRule, type ApplicationRule } from './consent-rule.js';
import type { Principal } from './principal.js';
import type { AccessScope } from './scope.js';
import { compileSmartRule, type SmartDefinitions } from './smart-access.js';

/** What turning a verified credential into its scope needs to look up. */
export interface TokenScopeDeps {
  readonly defs: SmartDefinitions;
  /** The account's own Patient (the compartment that is theirs), if any. */
  readonly accountPatient: (accountId: string) => Promise<string | undefined>;
  /** The application's compiled filter (cached by the caller per client, filter version and taxonomy). */
  readonly applicationRule: (client: RegisteredClient) => ApplicationRule;
}

/**
 * Who a request acts as, once its credential is verified: an access token's claims, or a service
 * key (static or certificate), which acts as its client with the client's registered scopes.
 */
export type CredentialSubject =
  | { readonly kind: 'token'; readonly claims: AccessTokenClaims }
  | { readonly kind: 'key'; readonly keyId: string; readonly clientId: string };

/** The claims of a token that decide its scope (a bulk export keeps these, not the token). */
export type TokenGrant = Pick<AccessTokenClaims, 'client_id' | 'scope' | 'gid' | 'account' | 'patient' | 'fhirUser'>;

/** What a scope is compiled for: a token's grant, or a service key. */
export type ScopeSubject = { readonly kind: 'token'; readonly claims: TokenGrant } | Extract<CredentialSubject, { kind: 'key' }>;

/**
 * The AccessScope of a request (docs/access.md): its SMART scopes, the client's access filter and
 * write mode, and whose records its consents reach. `client` is the credential's client as
 * registered now: a filter saved since the token was issued applies to it at once.
 * `organizationId`: the organization a data broker acts for (`; grp=`), already checked;
 * `studyId`: the ResearchStudy a research partner's request names, already checked.
 */
export async function credentialScope(
  subject: ScopeSubject,
  client: RegisteredClient | undefined,
  organizationId: string | undefined,
  deps: TokenScopeDeps,
  studyId?: string,
): Promise<AccessScope> {
  if (client === undefined || client.revoked) throw new FhirkeepError('unauthorized', 'The application of this credential is no longer registered');
  const claims = subject.kind === 'token' ? subject.claims : undefined;
  // A key has no grant of its own: it acts with whatever its client is registered for now.
  const scopes = claims === undefined ? client.scopes : claims.scope === '' ? [] : claims.scope.split(' ');
  const smart = compileSmartRule(parseScopeString(scopes.join(' ')), claims?.patient === undefined ? {} : { patient: claims.patient }, deps.defs);
  const account = claims?.account;
  const patient = account === undefined ? undefined : await deps.accountPatient(account);
  const rule = consentRule(smart, client, deps.applicationRule(client), { accountId: account, patient, organizationId, studyId });
  const acting = { ...(organizationId === undefined ? {} : { organizationId }), ...(studyId === undefined ? {} : { studyId }) };
  const principal: Principal =
    claims === undefined
      ? { kind: 'key', clientId: client.id, keyId: subject.kind === 'key' ? subject.keyId : '', scopes, ...acting }
      : { kind: 'token', clientId: claims.client_id, accountId: account, grantId: claims.gid, scopes, patient: claims.patient, fhirUser: claims.fhirUser, ...acting };
  return { principal, read: rule, write: rule, ownerAccount: account ?? null, sourceApp: client.id };
}
