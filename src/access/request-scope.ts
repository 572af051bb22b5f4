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
  /** Calls back with a client's id when it changes, on any node (undefined: any may have). */
  readonly onClientChange: (listener: (id: string | undefined) => void) => void;
  /** What the rest of the scope depends on besides the token and its client (the taxonomy's epoch). */
  readonly epoch: () => number;
  /** Compiles a verified token's grants into the scope its requests run in. */
  readonly scopeOf: (claims: AccessTokenClaims, client: RegisteredClient | undefined) => Promise<AccessScope>;
}

/** Each token's scope, so a request with a known token does no scope work at all. */
const COMPILED_CACHE_SIZE = 10_000;

interface Compiled {
  readonly scope: AccessScope;
  /** The client's change count and the taxonomy epoch the scope was compiled at. */
  readonly changes: number;
  readonly epoch: number;
}

/**
 * Builds the AccessScope of an incoming request from its bearer token: no token, or a token
 * that is invalid, expired, revoked or for another audience, is a 401 (RFC 6750 §3.1). The
 * development switch lets requests without any credentials through; a token is still checked.
 * A compiled scope is reused until its client changes (a filter, write mode or reach saved on any
 * node: the registry tells) or the taxonomy does, so a saved filter applies from the next request
 * on, while a request with a known token stays two map lookups.
 */
export function createScopeResolver(o: ScopeResolverOptions): (credentials: RequestCredentials) => Promise<AccessScope> {
  const compiled = new BoundedCache<string, Compiled>(COMPILED_CACHE_SIZE);
  const changes = new Map<string, number>();
  let everyChange = 0;
  o.onClientChange((id) => {
    if (id === undefined) everyChange++;
    else changes.set(id, (changes.get(id) ?? 0) + 1);
  });
  const changeCount = (clientId: string) => everyChange + (changes.get(clientId) ?? 0);
  return async ({ authorization }) => {
    if (o.devNoAuth && authorization === undefined) return devOpenScope();
    const claims = await o.accessTokens.verify(bearerToken(authorization));
    const known = compiled.get(claims.jti);
    const count = changeCount(claims.client_id);
    const epoch = o.epoch();
    if (known !== undefined && known.changes === count && known.epoch === epoch) return known.scope;
    // Counted before the lookup: a change arriving meanwhile leaves this entry stale, so it is redone.
    const scope = await o.scopeOf(claims, await o.client(claims.client_id));
    compiled.set(claims.jti, { scope, changes: count, epoch });
    return scope;
  };
}
