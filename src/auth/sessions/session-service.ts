import type { SessionStore } from '../../storage/auth/session-store.js';
import type { Account } from '../accounts/account.js';
import { isRandomSecret, randomSecret, sha256 } from '../random-secret.js';
import { LIFETIMES } from '../tokens/lifetimes.js';
import { readCookie, setCookie } from './cookies.js';

export const SESSION_COOKIE = 'fhirkeep_session';

export interface ActiveSession {
  readonly account: Account;
}

/** Browser sign-in sessions, shared by the authorization pages and (through `sessionAccount`) the admin API. */
export interface SessionService {
  /**
   * Starts a new session for an account and returns its Set-Cookie value. The session a
   * browser presented before (if any) ends: a login never keeps a pre-login identifier
   * (session fixation, OWASP ASVS V3.2.1).
   */
  start(accountId: string, cookieHeader: string | undefined): Promise<string>;
  /**
   * Ends every session of the account, in every browser, and starts a new one for this browser
   * (its Set-Cookie value): after a password change, whoever signed in with the old password is
   * out, and this browser's identifier is new (OWASP ASVS V3.3.3 and V3.2.1).
   */
  startAlone(accountId: string, cookieHeader: string | undefined): Promise<string>;
  /** The live session of a Cookie header; undefined if none, expired, or its account is gone or disabled. */
  current(cookieHeader: string | undefined): Promise<ActiveSession | undefined>;
  /** The signed-in account of a Cookie header, for the admin API. */
  sessionAccount(cookieHeader: string | undefined): Promise<Account | undefined>;
  /** Ends the session of a Cookie header (if any) and returns the Set-Cookie value that clears it. */
  end(cookieHeader: string | undefined): Promise<string>;
}

export interface SessionServiceOptions {
  readonly store: SessionStore;
  readonly accounts: { find(id: string): Promise<Account | undefined> };
  /** True when the public base URL is https: the cookie then gets `Secure`. */
  readonly secure: () => boolean;
}

export function createSessionService({ store, accounts, secure }: SessionServiceOptions): SessionService {
  const presented = (cookieHeader: string | undefined): Buffer | undefined => {
    const value = readCookie(cookieHeader, SESSION_COOKIE);
    return isRandomSecret(value) ? sha256(value) : undefined;
  };
  const current = async (cookieHeader: string | undefined): Promise<ActiveSession | undefined> => {
    const idHash = presented(cookieHeader);
    const accountId = idHash === undefined ? undefined : await store.findAccount(idHash);
    const account = accountId === undefined ? undefined : await accounts.find(accountId);
    return account === undefined || account.disabled ? undefined : { account };
  };
  const endPresented = async (cookieHeader: string | undefined): Promise<void> => {
    const idHash = presented(cookieHeader);
    if (idHash !== undefined) await store.delete(idHash);
  };
  const startNew = async (accountId: string): Promise<string> => {
    const secret = randomSecret();
    await store.insert(sha256(secret), accountId, new Date(Date.now() + LIFETIMES.browserSession * 1000));
    return setCookie(SESSION_COOKIE, secret, { path: '/', secure: secure(), maxAge: LIFETIMES.browserSession });
  };
  return {
    async start(accountId, cookieHeader) {
      await endPresented(cookieHeader);
      return startNew(accountId);
    },
    async startAlone(accountId, cookieHeader) {
      // The presented session may be another account's (a stale cookie): it ends too.
      await endPresented(cookieHeader);
      await store.deleteAllOf(accountId);
      return startNew(accountId);
    },
    current,
    async sessionAccount(cookieHeader) {
      return (await current(cookieHeader))?.account;
    },
    async end(cookieHeader) {
      await endPresented(cookieHeader);
      return setCookie(SESSION_COOKIE, '', { path: '/', secure: secure(), maxAge: 0 });
    },
  };
}
