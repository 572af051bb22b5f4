import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lenientHandling, respondAsync, returnPreference, strictHandling } from './prefer.js';

test('respond-async is a preference of its own, in any case, among others', () => {
  assert.ok(respondAsync('respond-async'));
  assert.ok(respondAsync('handling=lenient, Respond-Async'));
  assert.ok(!respondAsync(undefined));
  assert.ok(!respondAsync('return=minimal'));
  assert.ok(!respondAsync('respond-asynchronously'));
});

test('handling: searches are lenient unless strict; an export strict unless lenient', () => {
  assert.ok(!strictHandling(undefined));
  assert.ok(strictHandling('handling=strict'));
  assert.ok(!lenientHandling(undefined));
  assert.ok(lenientHandling('respond-async; handling="lenient"'));
  assert.equal(returnPreference('return=minimal'), 'minimal');
});
