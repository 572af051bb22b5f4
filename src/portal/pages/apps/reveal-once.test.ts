import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openReveal, REVEAL_COOKIE, sealReveal } from './reveal-once.js';

const REVEAL = { label: 'Client secret', value: 's3cr3t-value', note: 'use it' };
const cookieOf = (setCookie: string) => setCookie.split(';')[0] ?? '';

test('a sealed secret opens once, for its account and page, with the key from the redirect', () => {
  const sealed = sealReveal(REVEAL, 'acct-1', '/portal/apps/x', false);
  assert.match(sealed.cookie, /^fhirkeep_reveal=[A-Za-z0-9_-]+; Path=\/portal\/apps; HttpOnly; SameSite=Lax; Max-Age=120$/);
  assert.doesNotMatch(sealed.cookie, /s3cr3t/, 'the cookie alone does not hold the secret');
  const header = cookieOf(sealed.cookie);
  const opened = openReveal(header, sealed.key, 'acct-1', '/portal/apps/x', false);
  assert.deepEqual(opened.reveal, REVEAL);
  assert.match(opened.clear ?? '', /^fhirkeep_reveal=; Path=\/portal\/apps; .*Max-Age=0/, 'opening clears the cookie');
});

test('a seal opens nowhere else: another account, another page, another key, a tampered cookie', () => {
  const sealed = sealReveal(REVEAL, 'acct-1', '/portal/apps/x', true);
  assert.match(sealed.cookie, /; Secure$/);
  const header = cookieOf(sealed.cookie);
  const otherKey = sealReveal(REVEAL, 'acct-1', '/portal/apps/x', true).key;
  const bytes = Buffer.from(header.slice(REVEAL_COOKIE.length + 1), 'base64url');
  bytes[20] = (bytes[20] ?? 0) ^ 1;
  const tampered = `${REVEAL_COOKIE}=${bytes.toString('base64url')}`;
  for (const [what, cookie, key, account, path] of [
    ['another account', header, sealed.key, 'acct-2', '/portal/apps/x'],
    ['another page', header, sealed.key, 'acct-1', '/portal/apps/x/keys'],
    ['another key', header, otherKey, 'acct-1', '/portal/apps/x'],
    ['no key', header, null, 'acct-1', '/portal/apps/x'],
    ['a short key', header, 'abc', 'acct-1', '/portal/apps/x'],
    ['a tampered cookie', tampered, sealed.key, 'acct-1', '/portal/apps/x'],
    ['a cookie that is not base64', `${REVEAL_COOKIE}=%%%`, sealed.key, 'acct-1', '/portal/apps/x'],
  ] as const) {
    const opened = openReveal(cookie, key, account, path, true);
    assert.equal(opened.reveal, undefined, what);
    assert.notEqual(opened.clear, undefined, `${what}: the cookie is cleared anyway`);
  }
  assert.deepEqual(openReveal(undefined, sealed.key, 'acct-1', '/portal/apps/x', true), { reveal: undefined, clear: undefined }, 'no cookie: nothing to clear');
});
