import { matchesHash, randomSecret, sha256 } from '../random-secret.js';

/**
 * A new client id: 128 random bits, base64url (22 characters). Not a secret, but not guessable
 * either, so ids cannot be enumerated or predicted from one another. It never starts with `-`:
 * the CLI's argument parser would take `fhirkeep filter set -abc…` for an option.
 */
export function newClientId(): string {
  for (;;) {
    const id = randomSecret(16);
    if (!id.startsWith('-')) return id;
  }
}

/**
 * A new client secret: 256 random bits, base64url (43 characters), shown once. Only its SHA-256
 * is stored: with that much entropy a slow KDF adds nothing (nothing to brute-force), and a plain
 * hash keeps secret checks cheap enough for thousands of token requests a second.
 */
export function newClientSecret(): { readonly secret: string; readonly hash: Buffer } {
  const secret = randomSecret();
  return { secret, hash: sha256(secret) };
}

/** Whether `presented` is the secret behind `storedHash`, in time independent of where they differ. */
export function secretMatches(presented: string, storedHash: Buffer | undefined): boolean {
  return storedHash !== undefined && matchesHash(presented, storedHash);
}
