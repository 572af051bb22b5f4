import { hash, verify, type Options } from '@node-rs/argon2';
import { normalizePassword } from './credentials-policy.js';

/**
 * OWASP Password Storage Cheat Sheet, Argon2id: m = 19 MiB, t = 2, p = 1. The library's default
 * algorithm is Argon2id (RFC 9106 §4, "the recommended variant"); its const enum cannot be named
 * under isolatedModules, so the PHC prefix is checked by the tests instead.
 */
const ARGON2: Options = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), random salt per call. */
export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), ARGON2);
}

/**
 * The hash of a random password that was thrown away, with the same parameters: verified against
 * when there is no account, so both cases cost the same from the very first login.
 */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$u6HjpAvKx6Gthix1ZlgjxA$X0WuCAgfg4WTFLSFKUx/sgHwPGJhfocHMmlT8QM6x/A';

/**
 * True when `password` matches the PHC string. With no stored hash (unknown email, or an account
 * without a password) it still runs a full verification against a dummy hash and answers false,
 * so the response time does not reveal which emails have accounts (OWASP Authentication Cheat
 * Sheet, "Authentication Responses"). The comparison itself is constant-time inside argon2.
 */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (stored === undefined) {
    await verify(DUMMY_HASH, normalizePassword(password));
    return false;
  }
  try {
    return await verify(stored, normalizePassword(password));
  } catch {
    // A malformed stored hash (hand-edited row) is a failed login, not a server error.
    return false;
  }
}
