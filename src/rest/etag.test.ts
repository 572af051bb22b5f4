import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etagOf, ifNoneMatchHits, parseIfMatch } from './etag.js';

test('weak ETags carry the version id', () => {
  assert.equal(etagOf(3), 'W/"3"');
  assert.equal(parseIfMatch('W/"3"'), 3);
  assert.equal(parseIfMatch('"3"'), 3);
  assert.throws(() => parseIfMatch('3'), /If-Match/);
  assert.throws(() => parseIfMatch('W/"x"'), /If-Match/);
});

test('If-None-Match lists and wildcards', () => {
  assert.ok(ifNoneMatchHits('W/"1", W/"2"', 2));
  assert.ok(ifNoneMatchHits('*', 9));
  assert.ok(!ifNoneMatchHits('W/"1"', 2));
});
