import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { sha256 } from '../../random-secret.js';
import { checkPkce } from '../pkce.js';
import type { GrantHandler } from '../token-endpoint.js';
import { newRefreshToken } from '../refresh-tokens.js';
import { grantAccount, issueTokens } from './issue-tokens.js';

/** RFC 6749 §4.1.3: exchange an authorization code for tokens. */
export const authorizationCodeGrant: GrantHandler = async (request, { client }, deps) => {
  const code = request.params.require('code');
  const redeemed = await deps.grants.redeemCode(sha256(code));
  if (redeemed === undefined) throw new FhirkeepError('invalid-grant', 'The authorization code is not valid');
  const { grant } = redeemed;
  if (redeemed.reused) {
    // RFC 6749 §4.1.2: a code used twice SHOULD revoke every token issued from it.
    await deps.grants.revokeGrant(grant);
    deps.record({ kind: 'grant-revoke', outcome: 'success', clientId: grant.clientId, grantId: grant.id, ip: request.ip, detail: { reason: 'authorization code reused' } });
    throw new FhirkeepError('invalid-grant', 'The authorization code has already been used');
  }
  // RFC 6749 §4.1.3: the code was issued to this client …
  if (redeemed.clientId !== client.id) throw new FhirkeepError('invalid-grant', 'The authorization code is not valid');
  if (redeemed.expiresAt.getTime() <= Date.now()) throw new FhirkeepError('invalid-grant', 'The authorization code has expired');
  if (grant.revoked) throw new FhirkeepError('invalid-grant', 'The authorization has been revoked');
  // … and redirect_uri is identical to the one in the authorization request. An app with one
  // registered URI may leave it out in both places (RFC 6749 §3.1.2.3, §4.1.3; OAuth 2.1 drops it).
  const redirectUri = request.params.get('redirect_uri');
  const onlyRegistered = client.redirectUris.length === 1 && client.redirectUris[0] === redeemed.redirectUri;
  if (redirectUri === undefined ? !onlyRegistered : redirectUri !== redeemed.redirectUri) {
    throw new FhirkeepError('invalid-grant', 'The redirect_uri does not match the authorization request');
  }
  // RFC 7636 §4.6; public clients never get a code without a challenge (checked at /authorize).
  checkPkce(redeemed.codeChallenge, request.params.get('code_verifier'));
  const account = await grantAccount(deps, grant);
  // SMART App Launch: refresh tokens only for offline_access or online_access.
  const refreshable = grant.scopes.includes('offline_access') || grant.scopes.includes('online_access');
  const response = await issueTokens(deps, {
    grant,
    account,
    scopes: grant.scopes,
    refreshToken: refreshable ? await newRefreshToken(deps.grants, grant, grant.scopes) : undefined,
    nonce: redeemed.nonce,
  });
  deps.record({ kind: 'token-issue', outcome: 'success', accountId: grant.accountId, clientId: client.id, grantId: grant.id, ip: request.ip, detail: { grant_type: 'authorization_code', scope: response.scope } });
  return response;
};
