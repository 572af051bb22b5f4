import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { negotiate } from './negotiation.js';

const refused = (format: string | null, accept?: string) =>
  assert.throws(() => negotiate(format, accept), (e: unknown) => e instanceof FhirkeepError && e.code === 'not-acceptable');

test('no preference means FHIR JSON', () => {
  assert.equal(negotiate(null, undefined), 'application/fhir+json');
  assert.equal(negotiate(null, ''), 'application/fhir+json');
});

test('_format wins over Accept', () => {
  assert.equal(negotiate('json', 'application/fhir+xml'), 'application/fhir+json');
  refused('xml', 'application/fhir+json');
  refused('html');
  refused('application/fhir+json; fhirVersion=5.0');
});

test('Accept ranges are honoured, q=0 excluded', () => {
  assert.equal(negotiate(null, 'application/json'), 'application/json');
  assert.equal(negotiate(null, 'application/xml;q=0.9, application/json'), 'application/json');
  assert.equal(negotiate(null, 'text/html, */*;q=0.1'), 'application/fhir+json');
  refused(null, 'application/fhir+xml');
  refused(null, 'application/fhir+json;q=0');
  refused(null, 'application/fhir+json; fhirVersion=3.0');
  assert.equal(negotiate(null, 'application/fhir+json; fhirVersion=4.0'), 'application/fhir+json');
});
