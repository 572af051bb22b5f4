import type { AccessTokenClaims, AccessTokens } from '../auth/tokens/access-token.js';
import { bearerToken } from '../auth/tokens/bearer.js';
import { BoundedCache } from '../bounded-cache.js';
import { devOpenScope, type AccessScope } from './scope.js';

export interface RequestCredentials {
  readonly authorization: string | undefined;
}

export interface ScopeResolverOptions {
  /** FHIRKEEP_DEV_NO_AUTH: a request without credentials may do anything (development only). */
  readonly devNoAuth: boolean;
  readonly accessTokens: AccessTokens;
  /** Compiles a verified token's grants into the scope its requests run in. */
  readonly scopeOf: (claims: AccessTokenClaims) => AccessScope;
}

/** Each token's scope (by jti), so a request with a known token does no scope work at all. */
const COMPILED_CACHE_SIZE = 10_000;

/**
 * Builds the AccessScope of an incoming request from its bearer token: no token, or a token
 * that is invalid, expired, revoked or for another audience, is a 401 (RFC 6750 §3.1). The
 * development switch lets requests without any credentials through; a token is still checked.
 */
export function createScopeResolver(o: ScopeResolverOptions): (credentials: RequestCredentials) => Promise<AccessScope> {
  const compiled = new BoundedCache<string, AccessScope>(COMPILED_CACHE_SIZE);
  return async ({ authorization }) => {
    if (o.devNoAuth && authorization === undefined) return devOpenScope();
    const claims = await o.accessTokens.verify(bearerToken(authorization));
    return compiled.getOrSet(claims.jti, () => o.scopeOf(claims));
  };
}
