import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAccessFilter } from '../../../access/filter/parse-filter.js';
import { fakeTaxonomy, LOINC } from '../../../../test/support/fake-taxonomy.js';
import { blocksOfFilter, codingLine, codingValue, filterOfBlocks, guidedJson, NotGuided, sameBlocks } from './guided-filter.js';
import { readGuidedForm } from './guided-form.js';

const context = { taxonomy: fakeTaxonomy, resourceTypes: new Set(['Observation', 'Patient', 'AllergyIntolerance']) };

test('shared defaults and nested $or are written out into every block, a block’s own key replacing the default', () => {
  const filter = { owner: 'self', 'created-after': 1704067200000, $or: [{ content: 'body/weight' }, { format: 'fhir/Patient', owner: 'all', $or: [{ app: 'self' }, { public: 'only' }] }] };
  assert.deepEqual(blocksOfFilter(filter), [
    { owner: ['self'], 'created-after': ['1704067200000'], content: ['body/weight'] },
    { owner: ['all'], 'created-after': ['1704067200000'], format: ['fhir/Patient'], app: ['self'] },
    { owner: ['all'], 'created-after': ['1704067200000'], format: ['fhir/Patient'], public: ['only'] },
  ]);
});

test('blocks back into JSON mean what the JSON meant (the filter parser reads both the same)', () => {
  const filter = {
    owner: 'self',
    'created-after': '2024-01-01',
    $or: [
      { content: ['body/weight', 'blood-pressure'], code: `${LOINC} 29463-7` },
      { group: 'vital-signs', 'group-exclude': 'body-measures' },
      { format: 'fhir/Patient', app: 'self', $or: [{ public: 'also' }, { tag: 'http://example.org/s study 7' }] },
    ],
  };
  const again = filterOfBlocks(blocksOfFilter(filter));
  assert.deepEqual(parseAccessFilter(again, context), parseAccessFilter(filter, context));
  assert.deepEqual(filterOfBlocks([{ content: ['body/weight'], owner: ['all'], 'group-system': ['v1'], code: [] }]), { content: 'body/weight' }, 'one block is the object; defaults and empty keys left out');
  assert.deepEqual(filterOfBlocks([{ content: ['steps', 'body/weight'] }, {}]), { $or: [{ content: ['steps', 'body/weight'] }, {}] });
});

test('a shape the guided editor cannot hold is NotGuided, naming where (the expert editor still opens it)', () => {
  for (const [json, message] of [
    [[], 'the filter is not a JSON object'],
    [{ grop: 'x' }, 'grop is not a key of the filter language'],
    [{ content: [1] }, 'content holds 1, not a string'],
    [{ $or: [{ $or: [{ $or: [{}] }] }] }, '$or[0].$or[0].$or is not a list of blocks one level deep'],
    [{ $or: [] }, '$or is not a list of blocks one level deep'],
    [{ $or: [{}, 'x'] }, '$or[1] is not a JSON object'],
  ] as const) {
    assert.throws(() => blocksOfFilter(json), (e: unknown) => e instanceof NotGuided && e.message === message, JSON.stringify(json));
  }
});

test('unedited blocks hand the saved JSON back, so saving from the guided editor changes nothing', () => {
  const saved = { owner: 'self', $or: [{ content: 'body/weight' }, { content: 'body/height' }] };
  const blocks = blocksOfFilter(saved);
  assert.equal(guidedJson(true, [...blocks].reverse(), saved), saved, 'block order is no change');
  assert.ok(sameBlocks([{ content: ['a', 'b'], owner: ['all'] }], [{ content: ['b', 'a'] }]), 'value order and defaults are no change');
  assert.ok(!sameBlocks([{ content: ['a'] }], [{ content: ['a'], owner: ['self'] }]));
  assert.deepEqual(guidedJson(true, [{ content: ['body/weight'] }], saved), { content: 'body/weight' });
  assert.equal(guidedJson(false, blocks, saved), null, 'no filter');
  assert.deepEqual(guidedJson(true, [{}], { grop: 1 }), {}, 'a saved filter it cannot read is simply replaced');
});

test('codes and labels are edited one a line as system|code', () => {
  assert.equal(codingLine(`${LOINC} 29463-7`), `${LOINC}|29463-7`);
  assert.equal(codingValue(`${LOINC}|29463-7`), `${LOINC} 29463-7`);
  assert.equal(codingValue(codingLine('urn:x a code with spaces')), 'urn:x a code with spaces');
  assert.equal(codingValue(`${LOINC} 29463-7`), `${LOINC} 29463-7`, 'the language’s own form is kept');
});

test('the posted form reads back into blocks: lists split, empty fields dropped, at least one block', () => {
  const form = new URLSearchParams([
    ['filter', 'blocks'],
    ['blocks', '2'],
    ['b0.content', 'body/weight'],
    ['b0.content', 'steps'],
    ['b0.format', 'Observation, fhir/Patient'],
    ['b0.code', `${LOINC}|29463-7\r\n\r\n  ${LOINC} 3141-9 `],
    ['b0.app-self', '1'],
    ['b0.app', 'other-app,  third'],
    ['b0.owner', 'self'],
    ['b0.created-after', '2024-01-01'],
    ['b0.created-before', ''],
    ['b0.q', ' weight '],
    ['b1.public', 'only'],
  ]);
  const read = readGuidedForm(form);
  assert.equal(read.on, true);
  assert.deepEqual(read.queries, ['weight', '']);
  assert.deepEqual(filterOfBlocks(read.blocks), {
    $or: [
      {
        format: ['fhir/Observation', 'fhir/Patient'],
        content: ['body/weight', 'steps'],
        code: [`${LOINC} 29463-7`, `${LOINC} 3141-9`],
        owner: 'self',
        app: ['self', 'other-app', 'third'],
        'created-after': '2024-01-01',
      },
      { public: 'only' },
    ],
  });
  assert.equal(readGuidedForm(new URLSearchParams([['filter', 'none']])).on, false);
  assert.equal(readGuidedForm(new URLSearchParams([['blocks', '0']])).blocks.length, 1);
  assert.equal(readGuidedForm(new URLSearchParams([['blocks', '100000']])).blocks.length, 50, 'at most the language’s limit');
});
