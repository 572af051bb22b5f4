import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, base64url: unguessable, so a plain SHA-256 is a safe stored form (no KDF needed). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Whether a presented value has the shape `randomSecret()` gives (43 base64url characters):
 * anything else was never issued here, so it is refused without a lookup (and never reaches a
 * query, where a NUL or an oversized value would be a server error).
 */
export function isRandomSecret(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares a presented secret with a stored hash in constant time. */
export function matchesHash(presented: string, stored: Buffer): boolean {
  const hash = sha256(presented);
  return hash.length === stored.length && timingSafeEqual(hash, stored);
}
