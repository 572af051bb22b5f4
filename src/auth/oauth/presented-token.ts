import type { GrantStore, RefreshTokenInfo } from '../../storage/auth/grant-store.js';
import type { AccessTokenClaims, AccessTokens } from '../tokens/access-token.js';
import { findRefreshToken } from './refresh-tokens.js';

/** A token a client presents to introspection or revocation, resolved to what this server issued. */
export type PresentedToken =
  | { readonly kind: 'access'; readonly claims: AccessTokenClaims }
  | { readonly kind: 'refresh'; readonly token: RefreshTokenInfo }
  | undefined;

/**
 * Finds a presented token of either kind. The `token_type_hint` only orders lookups (RFC 7662
 * §2.1, RFC 7009 §2.1), and the two kinds tell themselves apart by shape, so it is not needed.
 * An access token must verify (signature, expiry, revocation) to be found.
 */
export async function resolvePresentedToken(token: string, deps: { readonly accessTokens: AccessTokens; readonly grants: GrantStore }): Promise<PresentedToken> {
  if (token.split('.').length === 3) {
    const claims = await deps.accessTokens.inspect(token);
    return claims === undefined ? undefined : { kind: 'access', claims };
  }
  const found = await findRefreshToken(deps.grants, token);
  return found === undefined ? undefined : { kind: 'refresh', token: found };
}
