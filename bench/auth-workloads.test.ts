import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ASSERTION_RATE_CAP, assertionsNeeded, basicAuthorization } from './auth-workloads.js';

test('Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1)', () => {
  const decoded = (h: string): string => Buffer.from(h.replace(/^Basic /, ''), 'base64').toString();
  assert.equal(decoded(basicAuthorization('abc', 'def')), 'abc:def');
  // A secret with form-special characters: ":" must not split it, "+" must not read as a space.
  assert.equal(decoded(basicAuthorization('id:1', 'a+b c/=&')), 'id%3A1:a%2Bb+c%2F%3D%26');
});

test('enough assertions for warm-up and run at the rate cap', () => {
  assert.equal(assertionsNeeded({ warmupSeconds: 1, seconds: 5 }), 6 * ASSERTION_RATE_CAP);
});
