import type { AppConsents } from '../../auth/oauth/authorize/authorize-dependencies.js';
import type { ConsentService } from './consent-service.js';

/**
 * The authorization pages' view of consents: the holder → app consent of a SMART app (only
 * `smart` clients reach the authorization endpoint, so the kind is always `app`).
 */
export function appConsents(consents: ConsentService): AppConsents {
  return {
    find: (accountId, clientId) => consents.findPair({ kind: 'app', accountId, organizationId: undefined, clientId }),
    async approve(accountId, clientId, scopes) {
      await consents.grant({ kind: 'app', accountId, clientId, scopes }, accountId);
    },
  };
}
