import type { Account } from '../../accounts/account.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { codeRedirect } from './authorize-response.js';
import { redirectTo, type BrowserRequest, type FlowResult } from './flow-result.js';
import { grantContext } from './grant-context.js';
import type { StoredAuthorizationRequest } from './pending-request.js';

/**
 * Grants a taken request (approved on the consent page, or covered by the holder's consent)
 * and sends the code to the app (RFC 6749 §4.1.2); the decision is recorded with `detail`.
 */
export async function issueCode(
  taken: StoredAuthorizationRequest,
  account: Account,
  patientId: string | undefined,
  granted: readonly string[],
  browser: BrowserRequest,
  deps: Pick<AuthorizeDependencies, 'grants' | 'recordSecurityEvent' | 'issuer'>,
  detail: Readonly<Record<string, unknown>>,
  cookies: readonly string[] = [],
): Promise<FlowResult> {
  const { request } = taken;
  const context = grantContext(request, granted, patientId, account);
  const { code, grant } = await deps.grants.authorize({
    clientId: request.clientId,
    accountId: account.id,
    scopes: granted,
    context,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    nonce: request.nonce,
  });
  deps.recordSecurityEvent({
    kind: 'consent',
    outcome: 'success',
    accountId: account.id,
    clientId: request.clientId,
    grantId: grant.id,
    ip: browser.ip,
    detail: {
      ...detail,
      granted,
      notAllowedForClient: request.refusedScopes,
      ...(context.patient === undefined ? {} : { patient: context.patient }),
    },
  });
  return redirectTo(codeRedirect(request, deps.issuer(), code), cookies);
}
