import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { Account } from '../../accounts/account.js';
import type { Grant } from '../../grants/grant.js';
import type { TokenEndpointDependencies } from '../token-endpoint.js';
import { launchFields, type TokenResponse } from '../token-response.js';

export interface IssueOptions {
  readonly grant: Grant;
  readonly account: Account | undefined;
  /** The scopes of this access token (a refresh may narrow them). */
  readonly scopes: readonly string[];
  readonly refreshToken: string | undefined;
  readonly nonce: string | undefined;
  /** RFC 8705 §3: the `x5t#S256` of the client certificate the access token is bound to. */
  readonly boundTo?: string | undefined;
  /** Seconds the access token lives: LIFETIMES.accessToken unless said. */
  readonly lifetime?: number | undefined;
}

/** Signs the access token (and the id_token when `openid` was granted) and assembles the response. */
export async function issueTokens(deps: TokenEndpointDependencies, o: IssueOptions): Promise<TokenResponse> {
  // Recorded at consent, only when openid and fhirUser were granted (src/auth/oauth/authorize/grant-context.ts).
  const context = o.grant.context;
  const fhirUser = context.fhirUser;
  const { token, expiresIn } = await deps.accessTokens.issue({
    sub: o.account?.id ?? o.grant.clientId,
    client_id: o.grant.clientId,
    scope: o.scopes.join(' '),
    gid: o.grant.id,
    ...(o.account === undefined ? {} : { account: o.account.id }),
    ...(context.patient === undefined ? {} : { patient: context.patient }),
    ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
    ...(fhirUser === undefined ? {} : { fhirUser }),
    ...(o.boundTo === undefined ? {} : { cnf: { 'x5t#S256': o.boundTo } }),
  }, o.lifetime);
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
