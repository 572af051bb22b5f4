/**
 * What a password and an email address must look like. Kept free of dependencies so the
 * configuration schema can apply the same rules to FHIRKEEP_ADMIN_EMAIL / _PASSWORD.
 */

/** NIST SP 800-63B §5.1.1.2: at least 8 characters, and verifiers SHOULD allow at least 64; we ask for 12. */
export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing cannot be abused as a CPU sink. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * NIST SP 800-63B §5.1.1.2: Unicode is accepted and normalised (NFKC) so the same passphrase typed
 * on two keyboards verifies, and each code point counts as one character.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...normalizePassword(password)].length;
  if (length < PASSWORD_MIN_LENGTH) return `The password must have at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `The password must have at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}

/** RFC 5321 §4.5.3.1.1 (local part ≤ 64 octets) and §4.5.3.1.3 (path ≤ 256, so address ≤ 254). */
export const MAX_LOCAL_PART = 64;
export const MAX_EMAIL = 254;

/** One @, no whitespace or control characters, a non-empty local part and domain (`admin@localhost` is fine). */
export const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

/** Why an email address is refused, or undefined when it is acceptable. Expects a trimmed value. */
export function emailProblem(email: string): string | undefined {
  if (email === '') return 'The email address is empty';
  if (Buffer.byteLength(email) > MAX_EMAIL) return `The email address must have at most ${MAX_EMAIL} characters`;
  if (!EMAIL.test(email)) return `Not an email address: ${JSON.stringify(email)}`;
  if (Buffer.byteLength(email.slice(0, email.indexOf('@'))) > MAX_LOCAL_PART) return `The part before @ must have at most ${MAX_LOCAL_PART} characters`;
  return undefined;
}
