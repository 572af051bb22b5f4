import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConditionalCriteria } from './conditional-criteria.js';

test('identifier tokens with and without system, escaped bars', () => {
  const c = parseConditionalCriteria('Patient', new URLSearchParams('identifier=urn:mrn|12&identifier=abc&_format=json'));
  assert.deepEqual(c.tokens, [
    { param: 'identifier', system: 'urn:mrn', code: '12' },
    { param: 'identifier', code: 'abc' },
  ]);
  assert.deepEqual(parseConditionalCriteria('Patient', new URLSearchParams('identifier=a\\|b')).tokens, [{ param: 'identifier', code: 'a|b' }]);
  assert.deepEqual(parseConditionalCriteria('Patient', new URLSearchParams('identifier=|x')).tokens, [{ param: 'identifier', system: '', code: 'x' }]);
});

test('_id criteria', () => {
  assert.deepEqual(parseConditionalCriteria('Patient', new URLSearchParams('_id=p1')).ids, ['p1']);
});

test('unsupported, empty or missing criteria are refused', () => {
  for (const q of ['name=x', 'identifier=', 'identifier=sys|', '_id=a,b', '', '_format=json']) {
    assert.throws(() => parseConditionalCriteria('Patient', new URLSearchParams(q)), /./, q);
  }
});
