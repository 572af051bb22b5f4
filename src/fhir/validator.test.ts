import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { validateResource } from './validator.js';

const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
  subject: { reference: 'Patient/1' },
  effectiveDateTime: '2020-01-01T10:00:00+01:00',
  valueQuantity: { value: 70.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
};

test('valid resources pass', () => {
  assert.ok(validateResource(observation).ok);
  assert.ok(validateResource({ resourceType: 'Patient', name: [{ given: ['A'] }], _birthDate: { extension: [] } }).ok);
});

test('every failing path is reported once, as a FHIRPath expression', () => {
  const outcome = validateResource({ resourceType: 'Patient', active: 'yes', gender: 7, name: [{ given: 'Peter' }], foo: 1 });
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  assert.equal(outcome.code, 'invalid-resource');
  const byPath = new Map(outcome.details.map((d) => [d.expression, d.message]));
  assert.match(byPath.get('Patient.foo') ?? '', /Unknown element "foo"/);
  assert.match(byPath.get('Patient.active') ?? '', /boolean/);
  assert.match(byPath.get('Patient.gender') ?? '', /male, female/);
  assert.match(byPath.get('Patient.name[0].given') ?? '', /array/);
  assert.equal(outcome.details.filter((d) => d.expression === 'Patient.active').length, 1, 'no pattern noise after a type error');
});

test('contained resources are checked against their own type', () => {
  const outcome = validateResource({ resourceType: 'Patient', contained: [{ resourceType: 'Observation', status: 'nope' }] });
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  const paths = outcome.details.map((d) => d.expression);
  assert.ok(paths.includes('Patient.contained[0].status'));
  assert.ok(paths.includes('Patient.contained[0].code'));
});

test('non-objects, missing and unknown resource types are told apart', () => {
  for (const v of [null, 7, 'Patient', [{ resourceType: 'Patient' }]]) {
    const o = validateResource(v);
    assert.ok(!o.ok && o.code === 'invalid-resource');
  }
  const missing = validateResource({ gender: 'male' });
  assert.ok(!missing.ok && missing.code === 'invalid-resource' && missing.details[0]?.expression === 'resourceType');
  const unknown = validateResource({ resourceType: 'Pateint' });
  assert.ok(!unknown.ok && unknown.code === 'unknown-type');
  const proto = validateResource({ resourceType: 'constructor' });
  assert.ok(!proto.ok && proto.code === 'unknown-type', 'prototype names are not resource types');
  const nonR4 = validateResource({ resourceType: 'SubscriptionStatus' });
  assert.ok(!nonR4.ok && nonR4.code === 'unknown-type', 'R4B types are not R4');
});

test('bad primitive values: ids, dates, codes', () => {
  for (const bad of [{ id: 'a b' }, { birthDate: '1974-13-45' }, { birthDate: '' }, { gender: '' }, { deceasedBoolean: null }]) {
    assert.equal(validateResource({ resourceType: 'Patient', ...bad }).ok, false, JSON.stringify(bad));
  }
});

// The Synthea bundles are test data beside the project, not part of it: used when present.
const synthea = new URL('../../../shared/data/synthea/', import.meta.url);
test('every resource of a Synthea bundle validates', { skip: !existsSync(synthea) && 'no ../shared/data/synthea here' }, () => {
  const file = readdirSync(synthea).find((f) => f.endsWith('.json.gz'));
  assert.ok(file);
  const bundle = JSON.parse(gunzipSync(readFileSync(new URL(file, synthea))).toString()) as { entry: { resource: unknown }[] };
  for (const e of bundle.entry) {
    const o = validateResource(e.resource);
    assert.ok(o.ok, JSON.stringify(o));
  }
});
