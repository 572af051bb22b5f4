import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions } from '@node-rs/argon2';
import { emailProblem, passwordProblem } from './credentials-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';

test('hashes are argon2id PHC strings with the OWASP parameters and a fresh salt each time', async () => {
  const a = await hashPassword('correct horse battery staple');
  const b = await hashPassword('correct horse battery staple');
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b, 'random salt');
  assert.equal(await verifyPassword(a, 'correct horse battery staple'), true);
  assert.equal(await verifyPassword(a, 'correct horse battery stapl'), false);
  assert.equal(await verifyPassword('not a hash', 'correct horse battery staple'), false, 'a malformed stored hash fails the login');
});

test('passwords are NFKC-normalised: the same passphrase typed differently verifies', async () => {
  const composed = 'café au lait ☕ x';
  const decomposed = 'cafe\u0301 au lait ☕ x';
  assert.equal(await verifyPassword(await hashPassword(composed), decomposed), true);
});

test('without a stored hash, verification answers false after spending the same work', async () => {
  const stored = await hashPassword('a known password');
  const once = async (hash: string | undefined) => {
    const started = performance.now();
    await verifyPassword(hash, 'a guessed password');
    return performance.now() - started;
  };
  // Interleaved, so a burst of other work on the machine slows both kinds alike; medians of 7.
  const runs: { real: number[]; dummy: number[] } = { real: [], dummy: [] };
  for (let i = 0; i < 7; i++) {
    runs.real.push(await once(stored));
    runs.dummy.push(await once(undefined));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[3] as number;
  const [real, dummy] = [median(runs.real), median(runs.dummy)];
  assert.equal(await verifyPassword(undefined, 'a known password'), false);
  // Same argon2 parameters, so the same cost; the bound is loose because test machines are noisy.
  assert.ok(dummy > real * 0.4 && dummy < real * 2.5, `real ${real.toFixed(1)} ms, dummy ${dummy.toFixed(1)} ms`);
  assert.deepEqual({ ...parseOptions(stored), saltLen: 0 }, { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2, version: 1, outputLen: 32, saltLen: 0 });
});

test('password rules: 12 to 256 characters, counted in code points (NIST SP 800-63B §5.1.1.2)', () => {
  assert.match(passwordProblem('') ?? '', /at least 12/);
  assert.match(passwordProblem('elevenchars') ?? '', /at least 12/);
  assert.equal(passwordProblem('twelve chars'), undefined);
  assert.equal(passwordProblem('🔒'.repeat(12)), undefined, 'emoji are one character each');
  assert.equal(passwordProblem('x'.repeat(256)), undefined);
  assert.match(passwordProblem('x'.repeat(257)) ?? '', /at most 256/);
});

test('email rules: one @, no spaces, RFC 5321 lengths', () => {
  for (const ok of ['a@b', 'admin@localhost', 'first.last+tag@example.org', 'jürgen@example.de']) assert.equal(emailProblem(ok), undefined, ok);
  assert.match(emailProblem('') ?? '', /empty/);
  for (const bad of ['plain', '@example.org', 'a@', 'a@b@c', 'a b@example.org', 'a@exa\u0000mple.org']) assert.match(emailProblem(bad) ?? '', /Not an email/, bad);
  assert.match(emailProblem(`${'a'.repeat(65)}@example.org`) ?? '', /before @/);
  assert.match(emailProblem(`a@${'b'.repeat(253)}`) ?? '', /at most 254/);
});
