import { randomUUID } from 'node:crypto';
import type { GrantStore } from '../../storage/auth/grant-store.js';
import { randomSecret, sha256 } from '../random-secret.js';
import { LIFETIMES } from '../tokens/lifetimes.js';
import type { Grant, LaunchContext } from './grant.js';

export interface UserAuthorization {
  readonly clientId: string;
  readonly accountId: string;
  /** The scopes the user approved (already narrowed to what the client may have). */
  readonly scopes: readonly string[];
  readonly context: LaunchContext;
  readonly redirectUri: string;
  /** PKCE S256 challenge (RFC 7636 §4.2); undefined only for confidential clients not requiring PKCE. */
  readonly codeChallenge: string | undefined;
  /** OpenID Connect nonce, echoed in the id_token. */
  readonly nonce: string | undefined;
}

/** Grant lifetime: as long as the longest refresh token it may issue. */
function grantLifetime(scopes: readonly string[]): number {
  if (scopes.includes('offline_access')) return LIFETIMES.offlineRefreshToken;
  if (scopes.includes('online_access')) return LIFETIMES.onlineRefreshToken;
  return LIFETIMES.accessToken;
}

export interface GrantService {
  /** Records a user's decision and returns the authorization code for the redirect (RFC 6749 §4.1.2). */
  authorize(input: UserAuthorization): Promise<{ code: string; grant: Grant }>;
  /** Makes an EHR launch value bound to this context (and, if given, to one client). */
  createLaunch(context: LaunchContext, clientId: string | undefined): Promise<string>;
  /** Redeems a launch value once; undefined when unknown, used, expired or another client's. */
  consumeLaunch(launch: string, clientId: string): Promise<LaunchContext | undefined>;
}

export function createGrantService(store: GrantStore): GrantService {
  return {
    async authorize(input) {
      const now = Date.now();
      const grant = await store.insertGrant({
        id: randomUUID(),
        clientId: input.clientId,
        accountId: input.accountId,
        grantType: 'authorization_code',
        scopes: input.scopes,
        context: input.context,
        expiresAt: new Date(now + grantLifetime(input.scopes) * 1000),
      });
      const code = randomSecret();
      await store.insertCode({
        codeHash: sha256(code),
        grantId: grant.id,
        clientId: input.clientId,
        redirectUri: input.redirectUri,
        codeChallenge: input.codeChallenge,
        nonce: input.nonce,
        expiresAt: new Date(now + LIFETIMES.authorizationCode * 1000),
      });
      return { code, grant };
    },

    async createLaunch(context, clientId) {
      const launch = randomSecret();
      await store.insertLaunch(sha256(launch), clientId, context, new Date(Date.now() + LIFETIMES.launch * 1000));
      return launch;
    },

    consumeLaunch: (launch, clientId) => store.consumeLaunch(sha256(launch), clientId),
  };
}
