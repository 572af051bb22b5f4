import { createHmac, timingSafeEqual } from 'node:crypto';
import { isRandomSecret, randomSecret } from '../auth/random-secret.js';
import { readCookie, setCookie } from '../auth/sessions/cookies.js';

/**
 * The portal's CSRF defence (OWASP: synchronizer token bound to a cookie). Every visitor gets a
 * random HttpOnly cookie; every form carries HMAC(cookie, "portal-form"), which a page on another
 * site can neither read nor compute. Signed out or in, the same rule: sign-in and sign-up forms
 * are protected too (login CSRF).
 */
export const CSRF_COOKIE = 'fhirkeep_portal';

export interface CsrfState {
  /** The token this visitor's forms carry. */
  readonly token: string;
  /** Set-Cookie for a visitor who had no cookie yet. */
  readonly setCookie: string | undefined;
}

export function csrfState(cookieHeader: string | undefined, secure: boolean): CsrfState {
  const present = readCookie(cookieHeader, CSRF_COOKIE);
  if (isRandomSecret(present)) return { token: tokenOf(present), setCookie: undefined };
  const secret = randomSecret();
  return { token: tokenOf(secret), setCookie: setCookie(CSRF_COOKIE, secret, { path: '/portal', secure }) };
}

/** Whether a posted form's token is this visitor's. */
export function csrfValid(cookieHeader: string | undefined, presented: string | null | undefined): boolean {
  const secret = readCookie(cookieHeader, CSRF_COOKIE);
  if (!isRandomSecret(secret) || typeof presented !== 'string') return false;
  const expected = Buffer.from(tokenOf(secret));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function tokenOf(secret: string): string {
  return createHmac('sha256', secret).update('portal-form').digest('base64url');
}
