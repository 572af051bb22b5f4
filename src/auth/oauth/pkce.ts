import { createHash } from 'node:crypto';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/** RFC 7636 §4.1: 43–128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * Checks a code_verifier against the challenge the authorization request carried (S256 only).
 * RFC 9700 §2.1.1: a verifier for a code issued without a challenge is refused too, so an
 * attacker cannot downgrade a PKCE flow by injecting a code that had none.
 */
export function checkPkce(challenge: string | undefined, verifier: string | undefined): void {
  if (challenge === undefined) {
    if (verifier !== undefined) throw new FhirkeepError('invalid-grant', 'A code_verifier was sent for a code issued without a code_challenge');
    return;
  }
  if (verifier === undefined) throw new FhirkeepError('invalid-grant', 'The code_verifier is required (PKCE)');
  if (!VERIFIER.test(verifier)) throw new FhirkeepError('invalid-grant', 'The code_verifier is malformed (RFC 7636 §4.1)');
  // RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  if (computed !== challenge) throw new FhirkeepError('invalid-grant', 'The code_verifier does not match the code_challenge');
}
