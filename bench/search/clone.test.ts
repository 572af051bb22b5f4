import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloneBundle, clonedFamily, clonedIdentifier, clones, cloneSuffix } from './clone.js';

const bundle = JSON.stringify({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      fullUrl: 'urn:uuid:p1',
      resource: {
        resourceType: 'Patient',
        identifier: [{ system: 'urn:mrn', value: 'M1' }, { system: 'urn:ssn' }],
        name: [{ family: 'Koepp', given: ['Abdul'] }, { given: ['Nick'] }],
        birthDate: '1956-08-03',
      },
      request: { method: 'POST', url: 'Patient' },
    },
    {
      fullUrl: 'urn:uuid:o1',
      resource: { resourceType: 'Organization', identifier: [{ value: 'ORG' }], name: 'Koepp Clinic' },
      request: { method: 'POST', url: 'Organization' },
    },
    {
      fullUrl: 'urn:uuid:x1',
      resource: { resourceType: 'Observation', subject: { reference: 'urn:uuid:p1' }, code: { text: 'x' } },
      request: { method: 'POST', url: 'Observation' },
    },
  ],
});

test('clone suffixes are letters, distinct per clone', () => {
  assert.deepEqual([0, 1, 25, 26, 27, 675, 676].map(cloneSuffix), ['a', 'b', 'z', 'ba', 'bb', 'zz', 'baa']);
  const many = new Set(Array.from({ length: 2000 }, (_, i) => cloneSuffix(i)));
  assert.equal(many.size, 2000);
  assert.equal(clonedFamily('Koepp', 3), 'Koeppd');
  assert.equal(clonedIdentifier('999-22-1962', 27), '999-22-1962-bb');
});

test('a clone renames the Patient family names and suffixes every identifier value; nothing else changes', () => {
  const clone = JSON.parse(cloneBundle(bundle, 2)) as typeof original;
  const original = JSON.parse(bundle) as { entry: { resource: Record<string, unknown>; [k: string]: unknown }[] };
  const [patient, organization, observation] = clone.entry;
  assert.deepEqual(patient?.resource.name, [{ family: 'Koeppc', given: ['Abdul'] }, { given: ['Nick'] }]);
  assert.deepEqual(patient?.resource.identifier, [{ system: 'urn:mrn', value: 'M1-c' }, { system: 'urn:ssn' }]);
  // Only a Patient's name is a person's name.
  assert.deepEqual(organization?.resource, { resourceType: 'Organization', identifier: [{ value: 'ORG-c' }], name: 'Koepp Clinic' });
  // References stay urn:uuid: the server resolves them within each transaction.
  assert.deepEqual(observation, original.entry[2]);
  assert.deepEqual({ ...clone.entry[0], resource: undefined }, { ...original.entry[0], resource: undefined });
  assert.equal(patient?.resource.birthDate, '1956-08-03');
});

test('clones: one pass over the sources per clone, stopping once the target is reached, made on demand', () => {
  const sources = [
    { text: bundle, resources: 3 },
    { text: bundle, resources: 5 },
  ];
  const made = [...clones(sources, 12)].map((b) => [b.source, b.clone, b.resources]);
  assert.deepEqual(made, [
    [0, 0, 3],
    [1, 0, 5],
    [0, 1, 3],
    [1, 1, 5],
  ]);
  assert.equal([...clones(sources, 8)].length, 2);
  assert.equal([...clones(sources, 9)].length, 3);
  assert.deepEqual([...clones([{ text: bundle, resources: 0 }], 10)], [], 'empty sources never reach a target');
  // Lazy: a generator that is only asked for one bundle makes only one (each is a whole rewritten copy).
  const first = clones(sources, 1_000_000_000).next();
  assert.equal(first.done, false);
  assert.match(first.value?.text ?? '', /"family":"Koeppa"/);
});
