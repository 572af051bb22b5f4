import type { RegisteredClient } from '../auth/clients/client.js';
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
  /** The token's client as registered now (a cache kept current on every node by the registry). */
  readonly client: (id: string) => Promise<RegisteredClient | undefined>;
  /** What the rest of the scope depends on besides the token and its client's filter version (the taxonomy's epoch). */
  readonly epoch: () => number;
  /** Compiles a verified token's grants into the scope its requests run in. */
  readonly scopeOf: (claims: AccessTokenClaims, client: RegisteredClient | undefined) => Promise<AccessScope>;
}

/** Each token's scope, so a request with a known token does no scope work at all. */
const COMPILED_CACHE_SIZE = 10_000;

/**
 * Builds the AccessScope of an incoming request from its bearer token: no token, or a token
 * that is invalid, expired, revoked or for another audience, is a 401 (RFC 6750 §3.1). The
 * development switch lets requests without any credentials through; a token is still checked.
 * A compiled scope is reused while the token's client keeps its filter version, write mode and
 * reach and the taxonomy its epoch, so a filter saved anywhere applies from the next request on.
 */
export function createScopeResolver(o: ScopeResolverOptions): (credentials: RequestCredentials) => Promise<AccessScope> {
  const compiled = new BoundedCache<string, AccessScope>(COMPILED_CACHE_SIZE);
  return async ({ authorization }) => {
    if (o.devNoAuth && authorization === undefined) return devOpenScope();
    const claims = await o.accessTokens.verify(bearerToken(authorization));
    const client = await o.client(claims.client_id);
    const key = `${claims.jti} ${client?.filterVersion ?? 0} ${client?.writeMode ?? ''} ${client?.reach ?? ''} ${client?.revoked ?? ''} ${o.epoch()}`;
    const known = compiled.get(key);
    if (known !== undefined) return known;
    return compiled.set(key, await o.scopeOf(claims, client));
  };
}
