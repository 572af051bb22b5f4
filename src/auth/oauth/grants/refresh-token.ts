import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { findRefreshToken, newRefreshToken } from '../refresh-tokens.js';
import type { GrantHandler } from '../token-endpoint.js';
import { grantAccount, issueTokens } from './issue-tokens.js';

/** RFC 6749 §6, with rotation (RFC 9700 §4.14.2): every use returns a new refresh token. */
export const refreshTokenGrant: GrantHandler = async (request, { client }, deps) => {
  // Read and check the secret before marking the token used: someone who knows only a token's
  // id must not be able to burn it (and with it, through reuse detection, its whole family).
  const found = await findRefreshToken(deps.grants, request.params.require('refresh_token'));
  if (found === undefined) throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  // RFC 6749 §6: the refresh token was issued to the authenticated client.
  if (found.grant.clientId !== client.id) throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  const revokeFamily = async () => {
    // RFC 9700 §4.14.2: a rotated-out token presented again means it leaked: revoke the family.
    await deps.grants.revokeGrant(found.grant);
    deps.record({ kind: 'grant-revoke', outcome: 'success', accountId: found.grant.accountId, clientId: client.id, grantId: found.grant.id, ip: request.ip, detail: { reason: 'refresh token reused' } });
    return new FhirkeepError('invalid-grant', 'The refresh token has already been used');
  };
  if (found.used) throw await revokeFamily();
  if (found.grant.revoked) throw new FhirkeepError('invalid-grant', 'The authorization has been revoked');
  if (found.expiresAt.getTime() <= Date.now()) throw new FhirkeepError('invalid-grant', 'The refresh token has expired');
  // RFC 6749 §6: a narrower scope may be asked for; one wider than the original grant may not.
  // Checked before the token is used up, so a refused request leaves it valid.
  const requested = request.params.get('scope');
  let scopes = found.scopes;
  if (requested !== undefined) {
    const { granted, refused } = deps.scopes.narrow(deps.scopes.parse(requested), found.scopes);
    if (refused.length > 0) throw new FhirkeepError('invalid-scope', `Scopes beyond the original grant: ${refused.join(' ')}`);
    scopes = granted;
  }
  const used = await deps.grants.useRefreshToken(found.id);
  if (used === undefined) throw new FhirkeepError('invalid-grant', 'The refresh token is not valid');
  // A concurrent request used it between the read and now: that is a reuse too.
  if (used.reused) throw await revokeFamily();
  const { grant } = used;
  const account = await grantAccount(deps, grant);
  // RFC 6749 §6: the new refresh token keeps the scope of the one it replaces.
  const response = await issueTokens(deps, { grant, account, scopes, refreshToken: await newRefreshToken(deps.grants, grant, found.scopes), nonce: undefined });
  deps.record({ kind: 'token-refresh', outcome: 'success', accountId: grant.accountId, clientId: client.id, grantId: grant.id, ip: request.ip, detail: { scope: response.scope } });
  return response;
};
