import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { ServiceKeyStore } from '../../../storage/auth/service-key-store.js';
import type { RegisteredClient } from '../../clients/client.js';
import { keyGrant, type KeyService } from '../../keys/key-service.js';
import { LIFETIMES } from '../../tokens/lifetimes.js';
import { registeredScopes } from './client-credentials.js';
import { findRefreshToken } from '../refresh-tokens.js';
import type { TokenEndpointDependencies, TokenRequest } from '../token-endpoint.js';
import type { TokenResponse } from '../token-response.js';

/** What exchanging a refresh key's token needs beyond the token endpoint's usual dependencies. */
export interface KeyRefreshDeps {
  readonly store: ServiceKeyStore;
  readonly keys: Pick<KeyService, 'revokeLeaked'>;
  readonly client: (id: string) => Promise<RegisteredClient | undefined>;
  /** This node stops accepting the grants a rotation revoked at once. */
  readonly markRevoked: (grantId: string) => void;
  readonly now?: () => number;
}

/**
 * `grant_type=refresh_token` with a refresh key's token (docs/service-keys.md): the token is the
 * service's credential, so no other client authentication is needed (client credentials that
 * are sent must be the key's client's). Each use returns an access token valid 5 hours and the
 * key's next refresh token, and revokes the previous pair: only the newest pair works. A used
 * token presented again means it leaked, and revokes the key.
 */
export async function keyRefreshGrant(request: TokenRequest, token: string, deps: TokenEndpointDependencies, k: KeyRefreshDeps): Promise<TokenResponse & { readonly clientId: string }> {
  const found = await findRefreshToken(deps.grants, token);
  const keyId = found?.grant.serviceKeyId;
  if (found === undefined || keyId === undefined) throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  const stored = await k.store.find(keyId);
  const client = stored === undefined ? undefined : await k.client(stored.key.clientId);
  if (stored === undefined || client === undefined || client.revoked) throw new FhirkeepError('invalid-grant', 'The API key\'s client is no longer registered');
  await sameClient(request, client, deps);
  if (stored.key.revokedAt !== undefined) throw new FhirkeepError('invalid-grant', 'The API key has been revoked');
  const leaked = async () => {
    await k.keys.revokeLeaked(keyId);
    return new FhirkeepError('invalid-grant', 'The refresh token has already been used: the API key is revoked');
  };
  if (found.used) throw await leaked();
  if (found.grant.revoked) throw new FhirkeepError('invalid-grant', 'The refresh token is no longer valid');
  const now = (k.now ?? Date.now)();
  if (found.expiresAt.getTime() <= now) throw new FhirkeepError('invalid-grant', 'The refresh token has expired');
  // The client's scopes as registered now: a narrowed registration narrows the key at its next refresh.
  const scopes = registeredScopes(request.params.get('scope'), client, deps);
  const used = await deps.grants.useRefreshToken(found.id);
  if (used === undefined) throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  // A concurrent request used it between the read and now: a replay too.
  if (used.reused) throw await leaked();
  const next = keyGrant(client, keyId, now);
  const rotated = await k.store.rotate(keyId, next.grant);
  if (rotated === undefined) throw new FhirkeepError('invalid-grant', 'The API key has been revoked');
  for (const grant of rotated) k.markRevoked(grant);
  const { token: accessToken, expiresIn } = await deps.accessTokens.issue(
    { sub: client.id, client_id: client.id, scope: scopes.join(' '), gid: next.grant.grant.id },
    LIFETIMES.serviceAccessToken,
  );
  deps.record({ kind: 'token-refresh', outcome: 'success', clientId: client.id, grantId: next.grant.grant.id, ip: request.ip, detail: { key_id: keyId, scope: scopes.join(' ') } });
  return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' '), refresh_token: next.token, clientId: client.id };
}

/** Client credentials sent along must authenticate, and as the key's client. */
async function sameClient(request: TokenRequest, client: RegisteredClient, deps: TokenEndpointDependencies): Promise<void> {
  const { params } = request;
  const credentials = request.authorization !== undefined || params.has('client_secret') || params.has('client_assertion') || params.has('client_assertion_type');
  if (credentials) {
    const authenticated = await deps.authenticateClient({ authorization: request.authorization, form: params, audiences: deps.assertionAudiences() });
    if (authenticated.client.id !== client.id) throw new FhirkeepError('invalid-grant', 'The refresh token was issued to another client');
  } else if (params.get('client_id') !== undefined && params.get('client_id') !== client.id) {
    throw new FhirkeepError('invalid-grant', 'The refresh token was issued to another client');
  }
}
