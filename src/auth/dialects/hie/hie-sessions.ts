import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { HieAccountStore } from '../../../storage/auth/hie-account-store.js';
import type { HieSessionStore } from '../../../storage/auth/hie-session-store.js';
import type { AccountService } from '../../accounts/account-service.js';
import { isRandomSecret, randomSecret, sha256 } from '../../random-secret.js';
import type { RecordSecurityEvent } from '../../security-events.js';
import type { HieClient } from './hie-client.js';
import type { HieProfile } from './profile.js';
import { userInfo, type HieUserInfo } from './user-info.js';

/** Who a FHIR request with an HIE access token comes from (the access engine compiles their profiles). */
export interface HieCaller {
  readonly accountId: string;
  /** The client that signed the session in, and sent this request. */
  readonly clientId: string;
  readonly profiles: readonly HieProfile[];
}

/** Users' HIE sessions: sign-in, sign-out, token info, and the caller of a FHIR request. */
export interface HieSessions {
  /**
   * Checks the password through the account service (its throttle and its security log) and
   * starts a session; throws `unauthorized` for wrong credentials, a disabled or not activated
   * account, and `too-many-requests` while the throttle locks.
   */
  signIn(client: HieClient, email: string, password: string, ip: string): Promise<string>;
  /** Ends a live session `client` signed in; `unauthorized` for any other token. */
  signOut(client: HieClient, accessToken: string): Promise<void>;
  /** The user of a live session `client` signed in; `unauthorized` for any other token. */
  tokenInfo(client: HieClient, accessToken: string): Promise<HieUserInfo>;
  /**
   * The caller of a FHIR request (`X-Auth-Token` and `client_id`); throws `unauthorized` unless
   * the session is live, signed in by that client, and its account enabled and activated.
   */
  caller(clientIdHeader: string | undefined, accessToken: string): Promise<HieCaller>;
}

/** How long a session lives unless signed out (docs/hie.md): a working day. */
export const HIE_SESSION_SECONDS = 12 * 3600;

const NO_SESSION = 'The access token is not a live session of this client';

export function createHieSessions(deps: {
  readonly sessions: HieSessionStore;
  readonly accounts: HieAccountStore;
  readonly authenticate: AccountService['authenticate'];
  readonly record: RecordSecurityEvent;
}): HieSessions {
  const { sessions, accounts, record } = deps;

  /** The live session of a token, signed in by `clientId`; tokens of another shape are never looked up. */
  const liveOf = async (clientId: string, token: string) => {
    const live = isRandomSecret(token) ? await sessions.live(sha256(token)) : undefined;
    // Another client's session answers as an unknown one: a token leaks nothing across organizations.
    if (live === undefined || live.hieClient !== clientId) throw new FhirkeepError('unauthorized', NO_SESSION);
    return live;
  };

  return {
    async signIn(client, email, password, ip) {
      const account = await deps.authenticate(email, password, { ip, clientId: client.id });
      const state = await accounts.find(account.id);
      // Said only to someone who knows the password, like a disabled account.
      if (state?.activatedAt === undefined) {
        record({ kind: 'login', outcome: 'failure', accountId: account.id, clientId: client.id, ip, detail: { reason: 'not-activated' } });
        throw new FhirkeepError('unauthorized', 'This account is not activated');
      }
      const token = randomSecret();
      await sessions.insert(sha256(token), account.id, client.id, new Date(Date.now() + HIE_SESSION_SECONDS * 1000));
      await accounts.recordLogin(account.id);
      return token;
    },

    async signOut(client, token) {
      const accountId = isRandomSecret(token) ? await sessions.end(sha256(token), client.id) : undefined;
      if (accountId === undefined) throw new FhirkeepError('unauthorized', NO_SESSION);
      record({ kind: 'logout', outcome: 'success', accountId, clientId: client.id });
    },

    async tokenInfo(client, token) {
      const live = await liveOf(client.id, token);
      const account = await accounts.find(live.accountId);
      if (account === undefined || account.disabled) throw new FhirkeepError('unauthorized', NO_SESSION);
      return userInfo(account, token);
    },

    async caller(clientIdHeader, token) {
      if (clientIdHeader === undefined) throw new FhirkeepError('unauthorized', 'An X-Auth-Token needs the client_id header of the client that signed it in');
      const live = await liveOf(clientIdHeader, token);
      if (live.accountDisabled) throw new FhirkeepError('unauthorized', 'This account is disabled');
      if (!live.accountActivated) throw new FhirkeepError('unauthorized', 'This account is not activated');
      return { accountId: live.accountId, clientId: live.hieClient, profiles: live.profiles };
    },
  };
}
