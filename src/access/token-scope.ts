import type { AccessTokenClaims } from '../auth/tokens/access-token.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import type { AccessScope } from './scope.js';
import { compileSmartScopes, type SmartDefinitions } from './smart-access.js';

/** The AccessScope of a request made with a verified access token: its SMART scopes, compiled. */
export function tokenScope(claims: AccessTokenClaims, defs: SmartDefinitions): AccessScope {
  const parsed = parseScopeString(claims.scope);
  return {
    principal: {
      kind: 'token',
      clientId: claims.client_id,
      accountId: claims.account,
      grantId: claims.gid,
      scopes: claims.scope === '' ? [] : claims.scope.split(' '),
      patient: claims.patient,
      fhirUser: claims.fhirUser,
    },
    ...compileSmartScopes(parsed, claims.patient === undefined ? {} : { patient: claims.patient }, defs),
    ownerAccount: claims.account ?? null,
    sourceApp: claims.client_id,
  };
}
