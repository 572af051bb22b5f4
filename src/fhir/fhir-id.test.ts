import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFhirId, newFhirId } from './fhir-id.js';

test('FHIR ids: 1–64 letters, digits, "-" and "."', () => {
  for (const ok of ['a', '1', 'A-b.9', 'a'.repeat(64), '018f428e-34f6-4707-8009-5ad742f901e7', '1.2.840.10008']) assert.ok(isFhirId(ok), ok);
  for (const bad of ['', 'a'.repeat(65), 'a b', 'a/b', 'a_b', 'é', 'a\n', 'a\u0000', '../etc', 'a%20b']) assert.ok(!isFhirId(bad), JSON.stringify(bad));
});

test('server ids are valid, random and unique', () => {
  const ids = new Set(Array.from({ length: 1000 }, newFhirId));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.ok(isFhirId(id) && id.length === 36, id);
});
