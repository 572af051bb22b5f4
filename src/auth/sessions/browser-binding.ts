import { createHmac, timingSafeEqual } from 'node:crypto';
import { isRandomSecret, randomSecret, sha256 } from '../random-secret.js';
import { readCookie, setCookie } from './cookies.js';

/**
 * A random value this browser keeps (HttpOnly) while it walks through the authorization pages.
 * A pending request is bound to the first browser that opens it, and every form it posts must
 * carry a CSRF token derived from this value: a page that learns a request id (a URL leaked in
 * a log) can neither continue the request from another browser nor post a form for the
 * victim's browser (RFC 6749 §10.12, RFC 9700 §4.7).
 */
export const BROWSER_COOKIE = 'fhirkeep_browser';

export interface BrowserBinding {
  readonly secret: string;
  /** Set-Cookie value when the browser had no binding yet. */
  readonly setCookie: string | undefined;
}

/** The browser's binding, made (and to be set) when it presents none. */
export function browserBinding(cookieHeader: string | undefined, secure: boolean): BrowserBinding {
  const value = readCookie(cookieHeader, BROWSER_COOKIE);
  if (isRandomSecret(value)) return { secret: value, setCookie: undefined };
  const secret = randomSecret();
  // Path /oauth2: only the authorization pages ever need it. No Max-Age: it ends with the browser.
  return { secret, setCookie: setCookie(BROWSER_COOKIE, secret, { path: '/oauth2', secure }) };
}

/** The binding a browser presents, or undefined. */
export function presentedBinding(cookieHeader: string | undefined): string | undefined {
  const value = readCookie(cookieHeader, BROWSER_COOKIE);
  return isRandomSecret(value) ? value : undefined;
}

/** What the request row stores: the binding's hash, never the binding. */
export function bindingHash(secret: string): Buffer {
  return sha256(secret);
}

/** The CSRF token of one request in one browser: HMAC(browser secret, request id). */
export function csrfToken(secret: string, requestId: string): string {
  return createHmac('sha256', secret).update(`csrf:${requestId}`).digest('base64url');
}

export function csrfMatches(secret: string, requestId: string, presentedToken: string | undefined): boolean {
  if (presentedToken === undefined) return false;
  const expected = Buffer.from(csrfToken(secret, requestId));
  const given = Buffer.from(presentedToken);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
