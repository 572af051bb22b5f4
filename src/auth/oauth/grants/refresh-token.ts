import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { matchesHash } from '../../random-secret.js';
import type { GrantHandler } from '../token-endpoint.js';
import { grantAccount, issueTokens, newRefreshToken, splitRefreshToken } from './issue-tokens.js';

/** RFC 6749 §6, with rotation (RFC 9700 §4.14.2): every use returns a new refresh token. */
export const refreshTokenGrant: GrantHandler = async (request, { client }, deps) => {
  const parts = splitRefreshToken(request.params.require('refresh_token'));
  // Read and check the secret before marking the token used: someone who knows only a token's
  // id must not be able to burn it (and with it, through reuse detection, its whole family).
  const found = parts === undefined ? undefined : await deps.grants.findRefreshToken(parts.id);
  if (parts === undefined || found === undefined || !matchesHash(parts.secret, found.secretHash)) {
    throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  }
  // RFC 6749 §6: the refresh token was issued to the authenticated client.
  if (found.grant.clientId !== client.id) throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  const used = await deps.grants.useRefreshToken(parts.id);
  if (used === undefined) throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  const { grant } = used;
  if (used.reused) {
    // RFC 9700 §4.14.2: a rotated-out token presented again means it leaked: revoke the family.
    await deps.grants.revokeGrant(grant);
    deps.record({ kind: 'grant-revoke', outcome: 'success', accountId: grant.accountId, clientId: client.id, grantId: grant.id, ip: request.ip, detail: { reason: 'refresh token reused' } });
    throw new FhirkeepError('invalid-grant', 'The refresh token has already been used');
  }
  if (grant.revoked) throw new FhirkeepError('invalid-grant', 'The authorization has been revoked');
  if (used.expiresAt.getTime() <= Date.now()) throw new FhirkeepError('invalid-grant', 'The refresh token has expired');
  // RFC 6749 §6: a narrower scope may be asked for; one wider than the original grant may not.
  const requested = request.params.get('scope');
  let scopes = used.scopes;
  if (requested !== undefined) {
    const { granted, refused } = deps.scopes.narrow(deps.scopes.parse(requested), used.scopes);
    if (refused.length > 0) throw new FhirkeepError('invalid-scope', `Scopes beyond the original grant: ${refused.join(' ')}`);
    scopes = granted;
  }
  const account = await grantAccount(deps, grant);
  // RFC 6749 §6: the new refresh token keeps the scope of the one it replaces.
  const response = await issueTokens(deps, { grant, account, scopes, refreshToken: await newRefreshToken(deps, grant, used.scopes), nonce: undefined });
  deps.record({ kind: 'token-refresh', outcome: 'success', accountId: grant.accountId, clientId: client.id, grantId: grant.id, ip: request.ip, detail: { scope: response.scope } });
  return response;
};
