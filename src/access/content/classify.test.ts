import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { createClassifier, dynamicContentName } from './classify.js';
import { buildTaxonomy } from './taxonomy-snapshot.js';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const taxonomy = buildTaxonomy(
  {
    contentTypes: [
      { name: 'body/weight', resourceType: 'Observation', label: 'Body weight', dynamic: false },
      { name: 'body/height', resourceType: 'Observation', label: 'Body height', dynamic: false },
      { name: 'vaccine/influenza', resourceType: 'Immunization', label: 'Influenza vaccine', dynamic: false },
      { name: 'report/lipid-panel', resourceType: 'DiagnosticReport', label: 'Lipid panel', dynamic: false },
      // Registered for an Observation; its code since removed by an admin (or not yet reloaded here).
      { name: 'loinc/7777-7', resourceType: 'Observation', label: 'Registered earlier', dynamic: true },
    ],
    codes: [
      { system: LOINC, code: '29463-7', contentType: 'body/weight', display: 'Body weight' },
      { system: LOINC, code: '3141-9', contentType: 'body/weight', display: null },
      { system: LOINC, code: '8302-2', contentType: 'body/height', display: null },
      { system: 'http://hl7.org/fhir/sid/cvx', code: '140', contentType: 'vaccine/influenza', display: null },
      { system: LOINC, code: '57698-3', contentType: 'report/lipid-panel', display: null },
    ],
    groups: [],
    members: [],
  },
  1,
);
const classify = createClassifier(taxonomy, { autoRegister: false });
const autoRegister = createClassifier(taxonomy, { autoRegister: true });
const coded = (resourceType: string, element: string, ...coding: { system?: string; code?: string; display?: string }[]) => ({ resourceType, [element]: { coding } });

test('a known code gives its content type; codes hold every primary coding as system|code', () => {
  const r = classify(coded('Observation', 'code', { system: 'urn:local', code: 'w' }, { system: LOINC, code: '29463-7' }, { code: 'bare' }));
  assert.deepEqual(r, { contentType: 'body/weight', codes: ['urn:local|w', `${LOINC}|29463-7`, '|bare'], register: undefined });
});

test('two codings of one content type agree; of two content types, 422 naming both', () => {
  assert.equal(classify(coded('Observation', 'code', { system: LOINC, code: '29463-7' }, { system: LOINC, code: '3141-9' })).contentType, 'body/weight');
  assert.throws(
    () => classify(coded('Observation', 'code', { system: LOINC, code: '29463-7' }, { system: LOINC, code: '8302-2' })),
    (e: unknown) => e instanceof FhirkeepError && e.status === 422 && /body\/weight/.test(e.message) && /body\/height/.test(e.message),
  );
});

test('the primary code element depends on the type: vaccineCode, medicationCodeableConcept, DocumentReference.type', () => {
  assert.equal(classify(coded('Immunization', 'vaccineCode', { system: 'http://hl7.org/fhir/sid/cvx', code: '140' })).contentType, 'vaccine/influenza');
  assert.deepEqual(classify(coded('MedicationRequest', 'medicationCodeableConcept', { system: 'urn:rx', code: '1' })).codes, ['urn:rx|1']);
  assert.deepEqual(classify(coded('DocumentReference', 'type', { system: LOINC, code: '11506-3' })).codes, [`${LOINC}|11506-3`]);
  // Immunization.code is not its primary code.
  assert.deepEqual(classify(coded('Immunization', 'code', { system: 'http://hl7.org/fhir/sid/cvx', code: '140' })), { contentType: 'Immunization', codes: [], register: undefined });
});

test('no known code, or a type without a primary code: the resource type is the content', () => {
  assert.equal(classify(coded('Observation', 'code', { system: LOINC, code: '0000-0' })).contentType, 'Observation');
  assert.equal(classify({ resourceType: 'Observation' }).contentType, 'Observation');
  assert.equal(classify({ resourceType: 'Observation', code: { coding: 'not a list' } }).contentType, 'Observation');
  assert.deepEqual(classify({ resourceType: 'Patient', code: { coding: [{ system: LOINC, code: '29463-7' }] } }), { contentType: 'Patient', codes: [], register: undefined });
});

test("a code mapped to another resource type's content does not classify this type", () => {
  assert.equal(classify(coded('DiagnosticReport', 'code', { system: LOINC, code: '29463-7' })).contentType, 'DiagnosticReport');
  assert.equal(classify(coded('DiagnosticReport', 'code', { system: LOINC, code: '57698-3' })).contentType, 'report/lipid-panel');
  // …and it does not conflict with this type's content.
  assert.equal(classify(coded('DiagnosticReport', 'code', { system: LOINC, code: '29463-7' }, { system: LOINC, code: '57698-3' })).contentType, 'report/lipid-panel');
});

test('auto-register: the first unclaimed coding with a system names a new content type, deterministically', () => {
  const r = autoRegister(coded('Condition', 'code', { code: 'no-system' }, { system: SNOMED, code: '57427004', display: 'Some finding' }, { system: LOINC, code: '1234-5' }));
  assert.equal(r.contentType, 'snomed/57427004');
  assert.deepEqual(r.register, { name: 'snomed/57427004', resourceType: 'Condition', label: 'Some finding', code: { system: SNOMED, code: '57427004', display: 'Some finding' } });
  assert.deepEqual(autoRegister(coded('Condition', 'code', { system: SNOMED, code: '57427004' })).register?.name, 'snomed/57427004');
  // A known code wins; codes without a system never register.
  assert.equal(autoRegister(coded('Observation', 'code', { system: LOINC, code: '0000-0' }, { system: LOINC, code: '29463-7' })).register, undefined);
  assert.deepEqual(autoRegister(coded('Observation', 'code', { code: 'x' })), { contentType: 'Observation', codes: ['|x'], register: undefined });
  assert.equal(autoRegister({ resourceType: 'Observation' }).register, undefined);
});

test('dynamic names: short names for well-known systems, a hash for anything else', () => {
  assert.equal(dynamicContentName(LOINC, '1234-5'), 'loinc/1234-5');
  assert.equal(dynamicContentName('http://www.nlm.nih.gov/research/umls/rxnorm', '316672'), 'rxnorm/316672');
  assert.match(dynamicContentName('urn:example', 'abc'), /^code\/[0-9a-f]{16}$/);
  assert.equal(dynamicContentName('urn:example', 'abc'), dynamicContentName('urn:example', 'abc'));
  assert.notEqual(dynamicContentName('urn:example', 'abc'), dynamicContentName('urn:example', 'abd'));
  assert.match(dynamicContentName(LOINC, 'has space/and slash'), /^code\/[0-9a-f]{16}$/);
  assert.match(dynamicContentName(LOINC, 'x'.repeat(65)), /^code\//);
});

test('auto-register: a name that exists already is used by its own resource type, never by another, and not registered again', () => {
  assert.deepEqual(autoRegister(coded('Observation', 'code', { system: LOINC, code: '7777-7' })), { contentType: 'loinc/7777-7', codes: [`${LOINC}|7777-7`], register: undefined });
  assert.deepEqual(autoRegister(coded('DiagnosticReport', 'code', { system: LOINC, code: '7777-7' })), { contentType: 'DiagnosticReport', codes: [`${LOINC}|7777-7`], register: undefined });
});
