import { randomBytes } from 'node:crypto';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { Account } from '../../accounts/account.js';
import type { Grant } from '../../grants/grant.js';
import { randomSecret, sha256 } from '../../random-secret.js';
import { LIFETIMES } from '../../tokens/lifetimes.js';
import type { TokenEndpointDependencies } from '../token-endpoint.js';
import { launchFields, type TokenResponse } from '../token-response.js';

/** The FHIR resource a user is, relative (`Patient/123`), for the token's access decisions. */
export function fhirUserOf(account: Account | undefined): string | undefined {
  if (account === undefined) return undefined;
  if (account.practitionerId !== undefined && account.roles.includes('practitioner')) return `Practitioner/${account.practitionerId}`;
  if (account.patientId !== undefined && account.roles.includes('patient')) return `Patient/${account.patientId}`;
  return undefined;
}

/** Refresh tokens are `<id>.<secret>`: the id finds the row, the secret is checked against its hash. */
export function splitRefreshToken(token: string): { id: string; secret: string } | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
  return { id: token.slice(0, dot), secret: token.slice(dot + 1) };
}

export async function newRefreshToken(deps: TokenEndpointDependencies, grant: Grant, scopes: readonly string[]): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  const secret = randomSecret();
  const lifetime = scopes.includes('offline_access') ? LIFETIMES.offlineRefreshToken : LIFETIMES.onlineRefreshToken;
  const expiresAt = new Date(Math.min(Date.now() + lifetime * 1000, grant.expiresAt.getTime()));
  await deps.grants.insertRefreshToken({ id, secretHash: sha256(secret), grantId: grant.id, scopes, expiresAt });
  return `${id}.${secret}`;
}

export interface IssueOptions {
  readonly grant: Grant;
  readonly account: Account | undefined;
  /** The scopes of this access token (a refresh may narrow them). */
  readonly scopes: readonly string[];
  readonly refreshToken: string | undefined;
  readonly nonce: string | undefined;
}

/** Signs the access token (and the id_token when `openid` was granted) and assembles the response. */
export async function issueTokens(deps: TokenEndpointDependencies, o: IssueOptions): Promise<TokenResponse> {
  const fhirUser = fhirUserOf(o.account);
  const context = o.grant.context;
  const { token, expiresIn } = await deps.accessTokens.issue({
    sub: o.account?.id ?? o.grant.clientId,
    client_id: o.grant.clientId,
    scope: o.scopes.join(' '),
    gid: o.grant.id,
    ...(o.account === undefined ? {} : { account: o.account.id }),
    ...(context.patient === undefined ? {} : { patient: context.patient }),
    ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
    ...(fhirUser === undefined ? {} : { fhirUser }),
  });
  const idToken =
    o.account !== undefined && o.scopes.includes('openid')
      ? await deps.idTokens.issue({
          accountId: o.account.id,
          clientId: o.grant.clientId,
          nonce: o.nonce,
          fhirUser: fhirUser !== undefined && o.scopes.includes('fhirUser') ? `${deps.fhirBase()}/${fhirUser}` : undefined,
          profile: o.scopes.includes('profile') ? { name: o.account.displayName, email: o.account.email } : undefined,
        })
      : undefined;
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: expiresIn,
    scope: o.scopes.join(' '),
    ...(o.refreshToken === undefined ? {} : { refresh_token: o.refreshToken }),
    ...(idToken === undefined ? {} : { id_token: idToken }),
    ...launchFields(context),
  };
}

/** The account a grant acts for (none for client credentials); a disabled or deleted one's grants issue nothing. */
export async function grantAccount(deps: TokenEndpointDependencies, grant: Grant): Promise<Account | undefined> {
  if (grant.accountId === undefined) return undefined;
  const account = await deps.findAccount(grant.accountId);
  if (account === undefined || account.disabled) throw new FhirkeepError('invalid-grant', 'The account of this grant can no longer sign in');
  return account;
}
