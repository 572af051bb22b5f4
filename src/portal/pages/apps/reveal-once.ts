import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readCookie, setCookie } from '../../../auth/sessions/cookies.js';

/**
 * Showing a new secret exactly once across a POST → 303 → GET (PRG), without storing it on the
 * server (no table for it, and the GET may reach another node). The secret is sealed with a
 * fresh AES-256-GCM key: the ciphertext travels in a short-lived HttpOnly cookie, the key in the
 * redirect's query. The page that opens it clears the cookie, so a reload, the back button or
 * the URL from the history finds nothing; neither half alone (a cookie jar on disk, a browser
 * history) reveals the secret. The seal is bound to the account and the page, so it opens
 * nowhere else.
 */
export const REVEAL_COOKIE = 'fhirkeep_reveal';
/** Long enough for the redirect, short enough that an unopened seal does not linger. */
const LIFETIME_S = 120;
const COOKIE_PATH = '/portal/apps';

/** What a page shows once. */
export interface Reveal {
  /** What it is ("Client secret", "API key" …). */
  readonly label: string;
  readonly value: string;
  /** How to use it (plain text). */
  readonly note: string;
}

export interface SealedReveal {
  readonly cookie: string;
  /** Goes in the redirect's `reveal` query parameter. */
  readonly key: string;
}

/** Seals `reveal` for `accountId` at the page `path` (the redirect's target, without query). */
export function sealReveal(reveal: Reveal, accountId: string, path: string, secure: boolean): SealedReveal {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(binding(accountId, path));
  const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(reveal), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { cookie: setCookie(REVEAL_COOKIE, sealed.toString('base64url'), { path: COOKIE_PATH, secure, maxAge: LIFETIME_S }), key: key.toString('base64url') };
}

export interface OpenedReveal {
  /** Undefined when there is nothing (left) to show: already shown, expired, or not this page's. */
  readonly reveal: Reveal | undefined;
  /** Set-Cookie clearing the seal, when the browser sent one. */
  readonly clear: string | undefined;
}

/** Opens the seal the browser sent for this page, once: the answer always clears it. */
export function openReveal(cookieHeader: string | undefined, key: string | null, accountId: string, path: string, secure: boolean): OpenedReveal {
  const sealed = readCookie(cookieHeader, REVEAL_COOKIE);
  if (sealed === undefined) return { reveal: undefined, clear: undefined };
  const clear = setCookie(REVEAL_COOKIE, '', { path: COOKIE_PATH, secure, maxAge: 0 });
  return { reveal: key === null ? undefined : decrypt(sealed, key, binding(accountId, path)), clear };
}

function decrypt(sealed: string, key: string, aad: Buffer): Reveal | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  const keyBytes = Buffer.from(key, 'base64url');
  if (keyBytes.length !== 32 || bytes.length < 12 + 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyBytes, bytes.subarray(0, 12));
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
    const value: unknown = JSON.parse(plain);
    return isReveal(value) ? value : undefined;
  } catch {
    // Another page's seal, a forged cookie, or a key from an old URL: nothing to show.
    return undefined;
  }
}

function isReveal(value: unknown): value is Reveal {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.label === 'string' && typeof v.value === 'string' && typeof v.note === 'string';
}

function binding(accountId: string, path: string): Buffer {
  return Buffer.from(`${accountId}\n${path}`, 'utf8');
}
