import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJsonMediaType, nestsDeeperThan } from './json-depth.js';

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

test('counts nesting of arrays and objects up to the limit', () => {
  assert.equal(nestsDeeperThan(nested(64), 64), false);
  assert.equal(nestsDeeperThan(nested(65), 64), true);
  assert.equal(nestsDeeperThan('{"a":{"b":[{"c":1}]}}', 4), false);
  assert.equal(nestsDeeperThan('{"a":{"b":[{"c":1}]}}', 3), true);
  assert.equal(nestsDeeperThan('[[]],[[]],[[]]', 2), false, 'siblings do not add up');
});

test('brackets inside strings, escaped quotes included, do not count', () => {
  assert.equal(nestsDeeperThan(`{"text":"${'[{'.repeat(100)}"}`, 1), false);
  assert.equal(nestsDeeperThan(`{"text":"a \\" ${'['.repeat(100)}"}`, 1), false);
  assert.equal(nestsDeeperThan(`{"text":"ends in a backslash \\\\","x":[[1]]}`, 2), true, 'an escaped backslash ends the string');
});

test('JSON media types: application/json and every +json', () => {
  for (const t of ['application/json', 'application/fhir+json; fhirVersion=4.0', 'application/json-patch+json', 'APPLICATION/JSON; charset=utf-8']) assert.ok(isJsonMediaType(t), t);
  for (const t of [undefined, 'application/x-www-form-urlencoded', 'text/plain', 'application/jsonx']) assert.ok(!isJsonMediaType(t), String(t));
});
