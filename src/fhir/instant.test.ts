import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInstant } from './instant.js';

test('instants and bare dates parse; everything else is refused', () => {
  assert.equal(parseInstant('2024-01-31T12:00:00Z')?.toISOString(), '2024-01-31T12:00:00.000Z');
  assert.equal(parseInstant('2024-01-31T12:00:00.123+02:00')?.toISOString(), '2024-01-31T10:00:00.123Z');
  assert.equal(parseInstant('2024-02-29')?.toISOString(), '2024-02-29T00:00:00.000Z');
  for (const bad of ['2023-02-29', '2024-13-01', '2024-01-31T12:00Z', '2024-01-31T25:00:00Z', 'yesterday', '', '2024-01-31 12:00:00Z', "2024-01-01' OR 1=1"]) {
    assert.equal(parseInstant(bad), undefined, bad);
  }
});
