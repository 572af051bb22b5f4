import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactDecrypt, CompactEncrypt, type JWK } from 'jose';

/** Where the key-encryption key lives when FHIRKEEP_KEY_ENCRYPTION_KEY is not set. */
export const KEY_ENCRYPTION_FILE = 'key-encryption.key';

/**
 * The key that seals the token-signing keys and the client-certificate CA's key in the
 * database, so a copy of the database (a backup, a replica, a dump) cannot mint tokens or issue
 * certificates. Configured, or else a file of 32 random bytes in the data directory, made on
 * first use and readable by its owner only.
 */
export function keyEncryptionKey(configured: Buffer | undefined, dataDir: string): Buffer {
  if (configured !== undefined) return configured;
  const file = join(dataDir, KEY_ENCRYPTION_FILE);
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  // 'wx': of two processes making it at once, one wins and the other reads its key.
  try {
    writeFileSync(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  }
}

/** A private JWK as a compact JWE (RFC 7516, `dir` + A256GCM); the kid in its protected header ties it to its row. */
export async function sealJwk(jwk: JWK, kid: string, key: Buffer): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(jwk))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid }).encrypt(key);
}

/** `what` names the key in the errors: a node that cannot open it must say which key it could not open. */
export async function openJwk(sealed: string, kid: string, key: Buffer, what = `token-signing key ${kid}`): Promise<JWK> {
  let opened: Awaited<ReturnType<typeof compactDecrypt>>;
  try {
    opened = await compactDecrypt(sealed, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
  } catch {
    throw new Error(
      `The ${what} cannot be decrypted with this node's key-encryption key: give every node the same FHIRKEEP_KEY_ENCRYPTION_KEY (or the same ${KEY_ENCRYPTION_FILE})`,
    );
  }
  // A sealed key copied onto another row would still decrypt: the header names the row it belongs to.
  if (opened.protectedHeader.kid !== kid) throw new Error(`The sealed ${what} (stored as ${kid}) belongs to another key`);
  return JSON.parse(new TextDecoder().decode(opened.plaintext)) as JWK;
}
