import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTaxonomy } from './taxonomy-snapshot.js';

const content = (name: string, label: string) => ({ name, resourceType: 'Observation', label, dynamic: false });
const taxonomy = buildTaxonomy(
  {
    contentTypes: [content('body/weight', 'Body weight'), content('body/height', 'Body height'), content('lab/glucose', 'Glucose'), content('lab/hdl', 'HDL cholesterol'), content('weight', 'Other')],
    codes: [
      { system: 'http://loinc.org', code: '29463-7', contentType: 'body/weight', display: 'Body weight' },
      { system: 'http://loinc.org', code: '2339-0', contentType: 'lab/glucose', display: 'Glucose in blood' },
    ],
    groups: [
      { system: 'v1', name: 'lab', parent: null, label: 'Laboratory' },
      { system: 'v1', name: 'chemistry', parent: 'lab', label: 'Chemistry' },
      { system: 'v1', name: 'lipids', parent: 'chemistry', label: 'Lipids' },
      { system: 'v1', name: 'body', parent: null, label: 'Body' },
      { system: 'v2', name: 'lab', parent: null, label: 'Lab (v2)' },
    ],
    members: [
      { system: 'v1', group: 'chemistry', contentType: 'lab/glucose' },
      { system: 'v1', group: 'lipids', contentType: 'lab/hdl' },
      { system: 'v1', group: 'body', contentType: 'body/weight' },
      { system: 'v1', group: 'body', contentType: 'body/height' },
      { system: 'v2', group: 'lab', contentType: 'lab/hdl' },
    ],
  },
  7,
);

test('lookups: content types, codes, epoch', () => {
  assert.equal(taxonomy.epoch, 7);
  assert.deepEqual(taxonomy.content('body/weight'), { name: 'body/weight', resourceType: 'Observation', label: 'Body weight', dynamic: false });
  assert.equal(taxonomy.content('nope'), undefined);
  assert.equal(taxonomy.contentOfCode('http://loinc.org|29463-7'), 'body/weight');
  assert.equal(taxonomy.contentOfCode('29463-7'), undefined);
  assert.deepEqual(taxonomy.codesOf('lab/glucose'), [{ coding: 'http://loinc.org|2339-0', display: 'Glucose in blood' }]);
  assert.deepEqual(taxonomy.codesOf('lab/hdl'), []);
});

test('groups: a tree per system; contents of a subtree, minus excluded subtrees', () => {
  assert.ok(taxonomy.hasGroup('v1', 'lipids'));
  assert.ok(!taxonomy.hasGroup('v2', 'lipids'));
  assert.deepEqual([...taxonomy.groupContents('v1', 'lab', [])].sort(), ['lab/glucose', 'lab/hdl']);
  assert.deepEqual([...taxonomy.groupContents('v1', 'lab', ['lipids'])], ['lab/glucose']);
  assert.deepEqual([...taxonomy.groupContents('v1', 'lab', ['chemistry'])], []);
  assert.deepEqual([...taxonomy.groupContents('v2', 'lab', [])], ['lab/hdl']);
  assert.deepEqual([...taxonomy.groupContents('v1', 'missing', [])], []);
  assert.deepEqual(taxonomy.groupSystems(), ['v1', 'v2']);
  assert.deepEqual(
    taxonomy.groups('v1').map((g) => [g.name, g.parent, g.contents]),
    [
      ['body', undefined, ['body/height', 'body/weight']],
      ['lab', undefined, []],
      ['chemistry', 'lab', ['lab/glucose']],
      ['lipids', 'chemistry', ['lab/hdl']],
    ],
  );
});

test('search: by name, label, code or display, case-insensitively; exact names first, then names', () => {
  const names = (text: string) => taxonomy.search(text, 10).map((c) => c.name);
  assert.deepEqual(names('weight'), ['weight', 'body/weight']);
  assert.deepEqual(names('GLUCOSE IN'), ['lab/glucose']);
  assert.deepEqual(names('29463'), ['body/weight']);
  assert.deepEqual(names('cholesterol'), ['lab/hdl']);
  assert.deepEqual(names('body/'), ['body/height', 'body/weight']);
  assert.deepEqual(names('zzz'), []);
  assert.equal(taxonomy.search('', 2).length, 2);
});

test('a cycle made by hand in the tables does not hang an expansion', () => {
  const cyclic = buildTaxonomy(
    {
      contentTypes: [content('a', 'A')],
      codes: [],
      groups: [
        { system: 'v1', name: 'x', parent: 'y', label: 'X' },
        { system: 'v1', name: 'y', parent: 'x', label: 'Y' },
      ],
      members: [{ system: 'v1', group: 'y', contentType: 'a' }],
    },
    1,
  );
  assert.deepEqual([...cyclic.groupContents('v1', 'x', [])], ['a']);
});
