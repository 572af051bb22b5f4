import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOrganizationRef } from './organization-ref.js';

test('system|value is an identifier, split on the first bar', () => {
  assert.deepEqual(parseOrganizationRef('urn:oid:2.16.840.1|12345'), { kind: 'identifier', system: 'urn:oid:2.16.840.1', value: '12345' });
  assert.deepEqual(parseOrganizationRef('a|b|c'), { kind: 'identifier', system: 'a', value: 'b|c' });
  assert.deepEqual(parseOrganizationRef('a||'), { kind: 'identifier', system: 'a', value: '|' });
});

test('anything else is an id: no bar, or an empty side', () => {
  assert.deepEqual(parseOrganizationRef('3f2a-org'), { kind: 'id', id: '3f2a-org' });
  assert.deepEqual(parseOrganizationRef('|value'), { kind: 'id', id: '|value' });
  assert.deepEqual(parseOrganizationRef('system|'), { kind: 'id', id: 'system|' });
  assert.deepEqual(parseOrganizationRef('|'), { kind: 'id', id: '|' });
  assert.deepEqual(parseOrganizationRef("x' or 1=1--"), { kind: 'id', id: "x' or 1=1--" });
});
