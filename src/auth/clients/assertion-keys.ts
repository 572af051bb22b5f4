import { importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/** SMART Backend Services §"Authenticating with a JWT": clients sign with RS384 or ES384, nothing else. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'] as const;
export type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];

export function isAssertionAlgorithm(alg: unknown): alg is AssertionAlgorithm {
  return (ASSERTION_ALGORITHMS as readonly unknown[]).includes(alg);
}

/** Members of private or symmetric keys (RFC 7518 §6.2.2, §6.3.2, §6.4): a client must never publish them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
/** A registered set holds a client's current and next keys, not a key store. */
const MAX_KEYS = 10;
const MIN_RSA_BITS = 2048; // RFC 7518 §3.3: a key of 2048 bits or larger MUST be used with RS*.
const MAX_RSA_BITS = 8192; // bounds the cost of one verification.

/** Why this JWK cannot verify client assertions, or undefined when it can. */
export function assertionKeyProblem(jwk: unknown): string | undefined {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'a key must be a JSON object';
  const key = jwk as Record<string, unknown>;
  const secretMember = PRIVATE_MEMBERS.find((m) => m in key);
  if (secretMember !== undefined) return `the key has the private member "${secretMember}": register public keys only`;
  if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid === '')) return '"kid" must be a non-empty string';
  if (key.use !== undefined && key.use !== 'sig') return `a key with "use": ${JSON.stringify(key.use)} cannot verify signatures`; // RFC 7517 §4.2
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify'))) return 'the key\'s "key_ops" do not include "verify"'; // RFC 7517 §4.3
  if (key.alg !== undefined && !isAssertionAlgorithm(key.alg)) return `"alg" ${JSON.stringify(key.alg)} is not allowed: use RS384 or ES384`;
  if (key.kty === 'RSA') {
    if (key.alg === 'ES384') return 'an RSA key cannot sign ES384';
    if (typeof key.n !== 'string' || typeof key.e !== 'string') return 'an RSA key needs "n" and "e"';
    const bits = bitLength(Buffer.from(key.n, 'base64url'));
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) return `the RSA key has ${bits} bits: use 2048 to 8192`;
    return undefined;
  }
  if (key.kty === 'EC') {
    if (key.alg === 'RS384') return 'an EC key cannot sign RS384';
    // RFC 7518 §3.4: ES384 is ECDSA on P-384; a P-256 key could only sign ES256, which SMART does not allow.
    if (key.crv !== 'P-384') return `EC keys must be on curve P-384 (ES384), not ${JSON.stringify(key.crv)}`;
    if (typeof key.x !== 'string' || typeof key.y !== 'string') return 'an EC key needs "x" and "y"';
    return undefined;
  }
  return `key type ${JSON.stringify(key.kty)} is not allowed: use RSA (RS384) or EC P-384 (ES384)`;
}

/** Whether a usable key can check a signature made with `alg` (its type, and its own alg if it names one). */
export function keyFitsAlgorithm(jwk: JWK, alg: AssertionAlgorithm): boolean {
  return (jwk.alg === undefined || jwk.alg === alg) && jwk.kty === (alg === 'RS384' ? 'RSA' : 'EC');
}

/**
 * Checks a JWK Set a client registers inline (RFC 7591 §2 `jwks`): public signing keys only, each
 * importable, each with a distinct `kid` when there are several (so an assertion can name its key).
 */
export async function validateJwks(value: unknown): Promise<JSONWebKeySet> {
  const fail = (why: string) => new FhirkeepError('bad-request', `Invalid JWK Set: ${why}`);
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) throw fail('it must be an object with a "keys" array');
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > MAX_KEYS) throw fail(`it must hold 1 to ${MAX_KEYS} keys`);
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    const problem = assertionKeyProblem(key);
    if (problem !== undefined) throw fail(`key ${i}: ${problem}`);
    const jwk = key as JWK;
    if (keys.length > 1) {
      if (jwk.kid === undefined) throw fail(`key ${i} has no "kid": every key of a set with several needs one`);
      if (kids.has(jwk.kid)) throw fail(`"kid" ${JSON.stringify(jwk.kid)} appears twice`);
      kids.add(jwk.kid);
    }
    try {
      await importJWK(jwk, jwk.kty === 'RSA' ? 'RS384' : 'ES384');
    } catch (e) {
      throw fail(`key ${i} is not a valid key: ${(e as Error).message}`);
    }
  }
  return { keys: keys as JWK[] };
}

function bitLength(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] ?? 0));
}
