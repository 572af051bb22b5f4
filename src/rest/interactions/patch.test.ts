import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { applyOperations, parseOperations } from './patch.js';

const refusedAsInvalidPatch = (e: unknown) => e instanceof FhirkeepError && e.code === 'invalid-patch';

test('a JSON Patch through __proto__ or constructor/prototype is an invalid patch, not a 500 (found by test/fuzz/fhir-bodies.test.ts)', () => {
  for (const op of [
    { op: 'add', path: '/__proto__/x', value: '' },
    { op: 'replace', path: '/name/0/__proto__', value: {} },
    { op: 'add', path: '/constructor/prototype/x', value: 1 },
    { op: 'copy', from: '/__proto__', path: '/x' },
    { op: 'move', from: '/constructor/prototype', path: '/x' },
  ]) {
    assert.throws(() => parseOperations([op]), refusedAsInvalidPatch, JSON.stringify(op));
  }
});

test('ordinary paths, and names that only look alike, pass', () => {
  const ops = [
    { op: 'replace', path: '/gender', value: 'male' },
    { op: 'add', path: '/constructor', value: 'x' },
    { op: 'add', path: '/prototype', value: 'x' },
    { op: 'add', path: '/a~1__proto__', value: 'x' },
  ];
  assert.deepEqual(parseOperations(ops), ops);
});

test('operations after one that removed the whole resource are unprocessable, not a 500 (found by test/fuzz/fhir-bodies.test.ts)', () => {
  const ops = parseOperations([{ op: 'remove', path: '' }, { op: 'add', path: '/gender', value: 'male' }]);
  assert.throws(() => applyOperations({ resourceType: 'Patient', id: 'p' }, ops), (e: unknown) => e instanceof FhirkeepError && e.code === 'unprocessable');
});
