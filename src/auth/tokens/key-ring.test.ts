import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { jwtVerify, SignJWT } from 'jose';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { createSigningKeyStore } from '../../storage/auth/signing-key-store.js';
import { KEY_ENCRYPTION_FILE, keyEncryptionKey, openJwk, sealJwk } from './key-encryption.js';
import { openKeyRing, type KeyRing } from './key-ring.js';

let testDb: TestDatabase;
const kek = randomBytes(32);
const logger = pino({ level: 'silent' });
const rings: KeyRing[] = [];
const open = async (key = kek) => {
  const ring = await openKeyRing({ store: createSigningKeyStore(testDb.db.sql), keyEncryptionKey: key, logger });
  rings.push(ring);
  return ring;
};

before(async () => {
  testDb = await createTestDatabase();
});
after(async () => {
  for (const ring of rings) await ring.close();
  await testDb.drop();
});

test('the first ring makes one ES256 and one RS256 key; private keys are stored sealed, never published', async () => {
  const [a, b] = await Promise.all([open(), open()]);
  assert.deepEqual(a.jwks().keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
  assert.deepEqual(b.jwks(), a.jwks(), 'two nodes starting at once make one set of keys');
  assert.ok(a.jwks().keys.every((k) => k.d === undefined));
  const rows = await testDb.db.sql<{ private_key_jwe: string }[]>`select private_key_jwe from signing_keys`;
  for (const { private_key_jwe } of rows) {
    assert.equal(private_key_jwe.split('.').length, 5, 'a compact JWE');
    assert.doesNotMatch(private_key_jwe, /"d"/);
  }
});

test('a node with another key-encryption key refuses to start, naming the setting', async () => {
  await assert.rejects(open(randomBytes(32)), /FHIRKEEP_KEY_ENCRYPTION_KEY/);
});

test('rotation: a new key signs, the old one stays published and verifies what it signed', async () => {
  const ring = await open();
  const old = ring.signer('ES256');
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: old.kid }).sign(old.key);
  await ring.rotateIfDue(new Date(Date.now() + 31 * 24 * 3600 * 1000));
  const current = ring.signer('ES256');
  assert.notEqual(current.kid, old.kid);
  assert.ok(ring.jwks().keys.some((k) => k.kid === old.kid), 'the retired key is still published');
  const verifier = await ring.verifier(old.kid);
  assert.ok(verifier);
  await jwtVerify(token, verifier.key);
  // Another node learns of the new key when it first meets its kid.
  const other = await open();
  assert.ok(await other.verifier(current.kid));
});

test('a rotation on one node is signed with and published by every other within a second (NOTIFY)', async () => {
  const [one, other] = [await open(), await open()];
  await one.rotateIfDue(new Date(Date.now() + 62 * 24 * 3600 * 1000));
  const rotated = one.signer('ES256').kid;
  const deadline = Date.now() + 1000;
  while (other.signer('ES256').kid !== rotated || !other.jwks().keys.some((k) => k.kid === rotated)) {
    assert.ok(Date.now() < deadline, 'the other node still signs with, and publishes only, the old keys');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

test('a sealed key opens only with its key and under its own kid', async () => {
  const sealed = await sealJwk({ kty: 'oct', k: 'AAAA' }, 'kid-1', kek);
  assert.deepEqual(await openJwk(sealed, 'kid-1', kek), { kty: 'oct', k: 'AAAA' });
  await assert.rejects(openJwk(sealed, 'kid-2', kek), /belongs to another key/);
  await assert.rejects(openJwk(sealed, 'kid-1', randomBytes(32)), /cannot be decrypted/);
});

test('without a configured key, one is made in the data directory (owner-only) and reused', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'fhirkeep-kek-')), 'data');
  const made = keyEncryptionKey(undefined, dir);
  assert.equal(made.length, 32);
  assert.equal(statSync(join(dir, KEY_ENCRYPTION_FILE)).mode & 0o777, 0o600);
  assert.deepEqual(keyEncryptionKey(undefined, dir), made);
  assert.match(readFileSync(join(dir, KEY_ENCRYPTION_FILE), 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
  const configured = randomBytes(32);
  assert.deepEqual(keyEncryptionKey(configured, dir), configured);
});
