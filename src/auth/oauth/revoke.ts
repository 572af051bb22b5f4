import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { GrantStore } from '../../storage/auth/grant-store.js';
import type { AuthenticatedClient } from '../clients/client.js';
import { matchesHash } from '../random-secret.js';
import type { RecordSecurityEvent } from '../security-events.js';
import type { AccessTokens } from '../tokens/access-token.js';
import { LIFETIMES } from '../tokens/lifetimes.js';
import { splitRefreshToken } from './grants/issue-tokens.js';
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
  const token = params.require('token');
  let grant: { id: string; clientId: string; expiresAt: Date } | undefined;
  if (token.split('.').length === 3) {
    const claims = await deps.accessTokens.inspect(token);
    if (claims !== undefined) {
      grant = { id: claims.gid, clientId: claims.client_id, expiresAt: new Date((claims.exp + LIFETIMES.clockSkew) * 1000) };
    }
  } else {
    const parts = splitRefreshToken(token);
    const found = parts === undefined ? undefined : await deps.grants.findRefreshToken(parts.id);
    if (parts !== undefined && found !== undefined && matchesHash(parts.secret, found.secretHash)) grant = found.grant;
  }
  if (grant === undefined) return;
  // RFC 7009 §2.1: the server checks that the token was issued to the client asking.
  if (grant.clientId !== client.id) throw new FhirkeepError('invalid-request', 'This token was not issued to this client');
  await deps.grants.revokeGrant(grant);
  deps.record({ kind: 'token-revoke', outcome: 'success', clientId: client.id, grantId: grant.id, ip: deps.ip });
}
