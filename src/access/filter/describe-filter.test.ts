import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeTaxonomy, LOINC } from '../../../test/support/fake-taxonomy.js';
import { describeAccessFilter } from './describe-filter.js';
import { parseAccessFilter } from './parse-filter.js';

const describe = (json: unknown) =>
  describeAccessFilter(parseAccessFilter(json, { taxonomy: fakeTaxonomy, resourceTypes: new Set(['Observation', 'Patient']) }), fakeTaxonomy);

test('contents by label, owner, time windows and public data in plain words', () => {
  assert.deepEqual(describe({ content: ['body/weight', 'blood-pressure'], owner: 'self', 'created-after': '2024-01-01' }), [
    'Blood pressure and Body weight records you own, created after 1 Jan 2024',
  ]);
  assert.deepEqual(describe({ format: ['fhir/Patient', 'fhir/Observation'], public: 'also', 'updated-after': '2024-01-01T10:30:00Z', 'updated-before': '2024-03-01' }), [
    'Observation and Patient records you own or that are shared with you, updated between 1 Jan 2024, 10:30 UTC and 1 Mar 2024',
    'Also public Observation and Patient records, updated between 1 Jan 2024, 10:30 UTC and 1 Mar 2024',
  ]);
  assert.deepEqual(describe({ public: 'only', 'created-before': 0 }), ['Public records, created before 1 Jan 1970']);
  assert.deepEqual(describe({}), ['All records you own or that are shared with you']);
});

test('one line per block; codes, apps and tags named', () => {
  assert.deepEqual(
    describe({
      $or: [
        { content: 'body/weight', code: [`${LOINC} 29463-7`, `${LOINC} 3141-9`], app: ['self', 'lab-feed'] },
        { group: 'fitness', tag: 'http://example.org/t study', 'allow-tag': ['http://example.org/t a', 'http://example.org/t b'], 'add-tag': 'http://example.org/t app' },
      ],
    }),
    [
      `Body weight records you own or that are shared with you, coded ${LOINC} 29463-7 or ${LOINC} 3141-9, written by this app or app lab-feed`,
      'Steps records you own or that are shared with you, labelled "study" (http://example.org/t), it may label what it writes "a" (http://example.org/t) or "b" (http://example.org/t), what it creates is labelled "app" (http://example.org/t)',
    ],
  );
});
