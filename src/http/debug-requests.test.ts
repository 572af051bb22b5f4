import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { checkPath, parseHeaderLines } from './debug-requests.js';

test('a debugger path resolves under /fhir, as a browser would resolve it', () => {
  assert.equal(checkPath('/fhir/Patient?name=smith&_count=5'), '/fhir/Patient?name=smith&_count=5');
  assert.equal(checkPath(' /fhir '), '/fhir');
  assert.equal(checkPath('/fhir/a/../Patient'), '/fhir/Patient');
  for (const path of ['/api/clients', '/fhir/../api/clients', '/fhir/%2e%2e/portal', '/fhir\\..\\api', '/fhirx', 'fhir/Patient', '//evil.example/fhir', 'https://evil.example/fhir', '/fhir/Patient#x', `/fhir/${'a'.repeat(5000)}`]) {
    assert.throws(() => checkPath(path), (e) => e instanceof FhirkeepError && e.status === 400, path);
  }
});

test('headers are one Name: value per line; a name given twice or a line without a colon is refused', () => {
  assert.deepEqual(parseHeaderLines('Prefer: return=representation\r\n\nIf-Match: W/"1"\n  '), { prefer: 'return=representation', 'if-match': 'W/"1"' });
  assert.deepEqual(parseHeaderLines('__proto__: x'), JSON.parse('{"__proto__":"x"}'), 'a header, not a prototype');
  assert.throws(() => parseHeaderLines('Prefer'), /line 1: write a header as Name: value/);
  assert.throws(() => parseHeaderLines(': x'), /line 1/);
  assert.throws(() => parseHeaderLines('A: 1\nB: 2\na: 3'), /line 3: a is given twice/);
});
