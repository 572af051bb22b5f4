import { randomUUID } from 'node:crypto';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { Grant } from '../../grants/grant.js';
import { LIFETIMES } from '../../tokens/lifetimes.js';
import type { RegisteredClient } from '../../clients/client.js';
import type { GrantHandler, TokenEndpointDependencies } from '../token-endpoint.js';
import type { TokenResponse } from '../token-response.js';
import { issueTokens } from './issue-tokens.js';
import { researchAccess, researchResponse } from './research-partner.js';

/**
 * RFC 6749 §4.4 / SMART Backend Services: a confidential client's own access. The grant is
 * not stored (it lives exactly as long as its one access token); revoking the token stores it.
 * A research partner talks its own dialect (scope=full, docs/research.md).
 */
export const clientCredentialsGrant: GrantHandler = async (request, { client, method, certificateThumbprint }, deps) => {
  // RFC 6749 §4.4.2: only confidential clients may use this grant.
  if (method === 'none' || client.isPublic) throw new FhirkeepError('unauthorized-client', 'Public clients may not use client_credentials');
  if (client.type === 'smart') throw new FhirkeepError('unauthorized-client', 'SMART apps sign users in with authorization_code; client_credentials is for services');
  const requested = request.params.get('scope');
  const research = client.type === 'research';
  const { scopes, lifetime } = clientAccess(requested, client, deps);
  // RFC 8705 §3: a client that authenticated with its certificate gets tokens bound to it.
  const { grant, issued } = await issueClientToken(deps, client, { scopes, lifetime, boundTo: certificateThumbprint });
  const response = research ? researchResponse(issued, client) : issued;
  deps.record({ kind: 'token-issue', outcome: 'success', clientId: client.id, grantId: grant.id, ip: request.ip, detail: { grant_type: 'client_credentials', method, scope: response.scope, ...(certificateThumbprint === undefined ? {} : { bound: true }) } });
  return response;
};

/** The scopes and lifetime of a client's own token: a research partner's dialect, or its registered scopes. */
export function clientAccess(requested: string | undefined, client: RegisteredClient, deps: TokenEndpointDependencies): { readonly scopes: readonly string[]; readonly lifetime: number } {
  return client.type === 'research' ? researchAccess(requested) : { scopes: registeredScopes(requested, client, deps), lifetime: LIFETIMES.accessToken };
}

/**
 * A client's own access token, acting for no account, and its unstored grant. The portal's API
 * debugger issues its tokens here too, so they are this grant's tokens, claim for claim.
 */
export async function issueClientToken(
  deps: TokenEndpointDependencies,
  client: RegisteredClient,
  o: { readonly scopes: readonly string[]; readonly lifetime: number; readonly boundTo?: string | undefined },
): Promise<{ readonly grant: Grant; readonly issued: TokenResponse }> {
  const now = Date.now();
  const grant: Grant = {
    id: randomUUID(),
    clientId: client.id,
    accountId: undefined,
    grantType: 'client_credentials',
    scopes: o.scopes,
    context: {},
    createdAt: new Date(now),
    expiresAt: new Date(now + o.lifetime * 1000),
    revoked: false,
  };
  const issued = await issueTokens(deps, { grant, account: undefined, scopes: o.scopes, refreshToken: undefined, nonce: undefined, boundTo: o.boundTo, lifetime: o.lifetime });
  return { grant, issued };
}

/** RFC 6749 §3.3: the scopes asked for, within those registered; without a scope parameter, the registered ones. */
export function registeredScopes(requested: string | undefined, client: RegisteredClient, deps: TokenEndpointDependencies): readonly string[] {
  if (requested === undefined) {
    if (client.scopes.length === 0) throw new FhirkeepError('invalid-scope', 'No scope was requested and the client has none registered');
    return client.scopes;
  }
  const { granted, refused } = deps.scopes.narrow(deps.scopes.parse(requested), client.scopes);
  if (refused.length > 0) throw new FhirkeepError('invalid-scope', `Scopes this client is not registered for: ${refused.join(' ')}`);
  if (granted.length === 0) throw new FhirkeepError('invalid-scope', 'No scope was requested and the client has none registered');
  return granted;
}
