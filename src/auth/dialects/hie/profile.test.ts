import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import { validateGroupName, validateProfile } from './profile.js';

const badRequest = (pattern: RegExp) => (e: unknown) => isFhirkeepError(e) && e.code === 'bad-request' && pattern.test(e.message);

test('a provider, facility or admin profile serves one or more areas, each an area code', () => {
  assert.deepEqual(validateProfile({ type: 'provider', id: ' 1001 ', catchments: ['302618', '3026', '302618'] }), { type: 'provider', id: '1001', catchments: ['3026', '302618'] });
  assert.deepEqual(validateProfile({ type: 'admin', id: 'a1', catchments: ['30'] }).catchments, ['30']);
  for (const code of ['3', '302', '30261801020304', 'ab', '30-26', '']) {
    assert.throws(() => validateProfile({ type: 'facility', id: 'f1', catchments: [code] }), badRequest(/not an area code/), code);
  }
  assert.throws(() => validateProfile({ type: 'facility', id: 'f1', catchments: [] }), badRequest(/at least one catchment/));
  assert.throws(() => validateProfile({ type: 'provider', id: 'p', catchments: Array.from({ length: 101 }, (_, i) => String(1000 + i)) }), badRequest(/at most 100/));
});

test('a patient profile names a Patient and serves no area', () => {
  assert.deepEqual(validateProfile({ type: 'patient', id: 'pat-1', catchments: [] }), { type: 'patient', id: 'pat-1', catchments: [] });
  assert.throws(() => validateProfile({ type: 'patient', id: 'pat-1', catchments: ['30'] }), badRequest(/no catchment/));
});

test('unknown types and ids that are no FHIR ids are refused', () => {
  assert.throws(() => validateProfile({ type: 'doctor', id: 'x', catchments: ['30'] }), badRequest(/Unknown profile type doctor/));
  for (const id of ['', 'a b', 'a/b', 'x'.repeat(65)]) assert.throws(() => validateProfile({ type: 'provider', id, catchments: ['30'] }), badRequest(/profile id/), id);
});

test('group names: 1 to 100 characters, no control characters', () => {
  assert.equal(validateGroupName('  MCI Admin '), 'MCI Admin');
  for (const bad of ['', '  ', 'x'.repeat(101), 'a\nb', 'a\u0000']) assert.throws(() => validateGroupName(bad), badRequest(/group name/), JSON.stringify(bad));
});
