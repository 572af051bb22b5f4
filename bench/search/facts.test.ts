import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTransaction } from './bundle.js';
import { medianDay, patientFacts, patientIdFrom } from './facts.js';

const entry = (resource: Record<string, unknown>): Record<string, unknown> => ({ resource, request: { method: 'POST', url: resource.resourceType } });
const observation = (code: string, category: string, effectiveDateTime: string): Record<string, unknown> =>
  entry({
    resourceType: 'Observation',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] }],
    code: { coding: [{ system: 'http://loinc.org', code }, { system: 'http://snomed.info/sct', code: '123' }] },
    effectiveDateTime,
  });

test('facts of the bundle patient: entry, name, identifiers, codes, categories and median days', () => {
  const bundle = parseTransaction(
    JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry({ resourceType: 'Organization', identifier: [{ system: 'urn:org', value: 'O' }] }),
        entry({
          resourceType: 'Patient',
          name: [{ given: ['A'] }, { family: 'Koepp' }],
          birthDate: '1956-08-03',
          identifier: [{ system: 'urn:mrn', value: 'M1' }, { value: 'no system' }],
        }),
        observation('8302-2', 'vital-signs', '2010-01-01T10:00:00Z'),
        observation('8302-2', 'vital-signs', '2012-06-01T10:00:00-05:00'),
        observation('29463-7', 'vital-signs', '2015-01-01T10:00:00Z'),
        entry({ resourceType: 'Encounter', period: { start: '2001-02-03T04:05:06Z' } }),
      ],
    }),
  );
  assert.deepEqual(patientFacts(bundle), {
    entry: 1,
    family: 'Koepp',
    birthDate: '1956-08-03',
    identifiers: [{ system: 'urn:mrn', value: 'M1' }],
    loincCodes: ['8302-2', '29463-7'],
    hasLaboratory: false,
    hasConditions: false,
    vitalSignsMedianDay: '2012-06-01',
    encounterMedianDay: '2001-02-03',
  });
});

test('a bundle must hold exactly one Patient', () => {
  const bundle = (n: number): string =>
    JSON.stringify({ resourceType: 'Bundle', entry: Array.from({ length: n }, () => entry({ resourceType: 'Patient', name: [{ family: 'X' }], birthDate: '2000-01-01' })) });
  assert.throws(() => patientFacts(parseTransaction(bundle(0))), /one Patient per bundle, found 0/);
  assert.throws(() => patientFacts(parseTransaction(bundle(2))), /found 2/);
  assert.throws(() => parseTransaction('{"resourceType":"Patient"}'), /not a Bundle/);
});

test('median day: the upper median of the dates, ignoring what is not a date', () => {
  assert.equal(medianDay(['2020-01-03', '2020-01-01T00:00:00Z', '2020-01-02', undefined, 7]), '2020-01-02');
  assert.equal(medianDay(['2020-01-04', '2020-01-01']), '2020-01-04');
  assert.equal(medianDay([]), undefined);
});

test('the new Patient id comes from the response location, relative or absolute', () => {
  const response = (location: string | undefined): string =>
    JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201 Created' } }, { response: { status: '201 Created', location } }] });
  assert.equal(patientIdFrom(response('Patient/abc-1.2/_history/1'), 1), 'abc-1.2');
  assert.equal(patientIdFrom(response('http://localhost:8080/fhir/Patient/x9/_history/3'), 1), 'x9');
  assert.equal(patientIdFrom(response('Observation/x9/_history/1'), 1), undefined);
  assert.equal(patientIdFrom(response(undefined), 1), undefined);
  assert.equal(patientIdFrom(response('Patient/x/_history/1'), 5), undefined);
});
