import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { GrantStore } from '../../storage/auth/grant-store.js';
import type { AuthenticatedClient } from '../clients/client.js';
import type { RecordSecurityEvent } from '../security-events.js';
import type { AccessTokens } from '../tokens/access-token.js';
import { LIFETIMES } from '../tokens/lifetimes.js';
import { resolvePresentedToken } from './presented-token.js';
import type { OAuthParams } from './oauth-form.js';

/**
 * POST /oauth2/revoke (RFC 7009). Revoking either kind of token revokes its whole grant: the
 * refresh token and every access token issued under it (§2.1 allows, and a user pressing
 * "revoke" means all of it). Unknown or already-invalid tokens answer 200 as well (§2.2).
 */
export async function revoke(
  params: OAuthParams,
  { client }: AuthenticatedClient,
  deps: { readonly accessTokens: AccessTokens; readonly grants: GrantStore; readonly record: RecordSecurityEvent; readonly ip: string },
): Promise<void> {
  const found = await resolvePresentedToken(params.require('token'), deps);
  if (found === undefined) return;
  const grant =
    found.kind === 'refresh'
      ? found.token.grant
      : { id: found.claims.gid, clientId: found.claims.client_id, expiresAt: new Date((found.claims.exp + LIFETIMES.clockSkew) * 1000) };
  // RFC 7009 §2.1: the server checks that the token was issued to the client asking.
  if (grant.clientId !== client.id) throw new FhirkeepError('invalid-request', 'This token was not issued to this client');
  await deps.grants.revokeGrant(grant);
  deps.record({ kind: 'token-revoke', outcome: 'success', clientId: client.id, grantId: grant.id, ip: deps.ip });
}
