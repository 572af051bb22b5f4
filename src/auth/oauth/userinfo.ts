import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { Account } from '../accounts/account.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';

/** GET /oauth2/userinfo (OIDC Core §5.3): the signed-in user, for tokens granted `openid`. */
export async function userinfo(
  claims: AccessTokenClaims,
  deps: { readonly findAccount: (id: string) => Promise<Account | undefined>; readonly fhirBase: string },
): Promise<Record<string, unknown>> {
  const scopes = claims.scope.split(' ');
  // OIDC Core §5.3.3: insufficient_scope when the token was not granted openid.
  if (!scopes.includes('openid') || claims.account === undefined) throw new FhirkeepError('forbidden', 'The access token was not granted the openid scope');
  const account = await deps.findAccount(claims.account);
  if (account === undefined || account.disabled) throw new FhirkeepError('unauthorized', 'The account can no longer sign in');
  return {
    sub: account.id,
    ...(claims.fhirUser !== undefined && scopes.includes('fhirUser') ? { fhirUser: `${deps.fhirBase}/${claims.fhirUser}` } : {}),
    ...(scopes.includes('profile') ? { email: account.email, ...(account.displayName === undefined ? {} : { name: account.displayName }) } : {}),
  };
}
