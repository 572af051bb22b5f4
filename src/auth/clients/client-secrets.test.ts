import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '../random-secret.js';
import { newClientId, newClientSecret, secretMatches } from './client-secrets.js';

test('client ids and secrets are random base64url; only the SHA-256 of a secret is kept', () => {
  const ids = new Set(Array.from({ length: 2000 }, newClientId));
  assert.equal(ids.size, 2000);
  // One in 64 random ids would start with `-`, which the CLI would read as an option.
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  const { secret, hash } = newClientSecret();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(hash, sha256(secret));
  assert.equal(hash.length, 32);
  assert.ok(secretMatches(secret, hash));
  assert.ok(!secretMatches(`${secret}x`, hash));
  assert.ok(!secretMatches('', hash));
  assert.ok(!secretMatches(secret, undefined), 'a client without a secret matches none');
  assert.ok(!secretMatches(secret, Buffer.alloc(3)), 'a malformed stored hash matches nothing (and does not throw)');
});
