import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A new client id: 128 random bits, base64url (22 characters). Not a secret, but not guessable
 * either, so ids cannot be enumerated or predicted from one another.
 */
export function newClientId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A new client secret: 256 random bits, base64url (43 characters), shown once. Only its SHA-256
 * is stored: with that much entropy a slow KDF adds nothing (nothing to brute-force), and a plain
 * hash keeps secret checks cheap enough for thousands of token requests a second.
 */
export function newClientSecret(): { readonly secret: string; readonly hash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: hashClientSecret(secret) };
}

export function hashClientSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Whether `presented` is the secret behind `storedHash`, in time independent of where they differ. */
export function secretMatches(presented: string, storedHash: Buffer | undefined): boolean {
  if (storedHash === undefined) return false;
  const presentedHash = hashClientSecret(presented);
  // Both are SHA-256 digests (32 bytes), as timingSafeEqual requires equal lengths.
  return storedHash.length === presentedHash.length && timingSafeEqual(presentedHash, storedHash);
}
