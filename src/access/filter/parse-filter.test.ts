import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { fakeTaxonomy, LOINC } from '../../../test/support/fake-taxonomy.js';
import { blockResourceTypes, FILTER_LIMITS, filterAppIds, filterResourceTypes, parseAccessFilter, type FilterContext } from './parse-filter.js';

const ctx: FilterContext = { taxonomy: fakeTaxonomy, resourceTypes: new Set(['Observation', 'Patient', 'AllergyIntolerance', 'Condition']) };
const parse = (json: unknown) => parseAccessFilter(json, ctx);
function refused(json: unknown, message: string): void {
  assert.throws(() => parse(json), (e: unknown) => e instanceof FhirkeepError && e.code === 'bad-request' && e.message === message, message);
}

test('an empty filter is one unrestricted block: every record consents share, no public data', () => {
  assert.deepEqual(parse({}), { blocks: [{ owner: 'all', public: 'never' }] });
});

test('every key, single values or arrays, normalised (sorted, distinct, system|code)', () => {
  const filter = parse({
    format: ['fhir/Observation'],
    content: 'body/weight',
    group: 'fitness',
    code: [`${LOINC} 29463-7`, `${LOINC} 55423-8`, `${LOINC} 29463-7`],
    owner: 'self',
    app: ['self', 'lab-feed'],
    public: 'also',
    'created-after': '2024-01-01',
    'created-before': 1735689600000,
    'updated-after': '2024-06-01T10:30:00+02:00',
    'updated-before': '1735689600000',
    tag: 'http://example.org/tags study-7',
    'allow-tag': ['http://example.org/tags b', 'http://example.org/tags a'],
    'add-tag': 'http://example.org/tags imported by app',
  });
  assert.deepEqual(filter.blocks, [
    {
      formats: ['Observation'],
      contents: ['body/weight', 'steps'],
      codes: [`${LOINC}|29463-7`, `${LOINC}|55423-8`],
      owner: 'self',
      apps: ['lab-feed', 'self'],
      public: 'also',
      createdAfter: new Date('2024-01-01T00:00:00Z'),
      createdBefore: new Date('2025-01-01T00:00:00Z'),
      updatedAfter: new Date('2024-06-01T08:30:00Z'),
      updatedBefore: new Date('2025-01-01T00:00:00Z'),
      tags: ['http://example.org/tags|study-7'],
      allowTags: ['http://example.org/tags|a', 'http://example.org/tags|b'],
      addTags: ['http://example.org/tags|imported by app'],
    },
  ]);
  assert.deepEqual(filterAppIds(filter), ['lab-feed']);
});

test('groups resolve through the taxonomy, with subgroups, group-exclude and group-system', () => {
  assert.deepEqual(parse({ group: 'vital-signs' }).blocks[0]?.contents, ['blood-pressure', 'body/height', 'body/weight']);
  assert.deepEqual(parse({ group: 'vital-signs', 'group-exclude': 'body-measures' }).blocks[0]?.contents, ['blood-pressure', 'body/weight']);
  assert.deepEqual(parse({ group: 'everything', 'group-system': 'other', content: 'body/height' }).blocks[0]?.contents, ['allergy', 'body/height', 'body/weight', 'steps']);
});

test('keys outside $or are shared defaults; a block key replaces the default; nested $or inherits', () => {
  const filter = parse({
    owner: 'self',
    'created-after': '2024-01-01',
    $or: [{ content: 'body/weight' }, { content: 'steps', owner: 'all' }, { format: 'fhir/Patient', $or: [{ public: 'only' }, { app: 'self' }] }],
  });
  assert.deepEqual(filter.blocks, [
    { contents: ['body/weight'], owner: 'self', public: 'never', createdAfter: new Date('2024-01-01T00:00:00Z') },
    { contents: ['steps'], owner: 'all', public: 'never', createdAfter: new Date('2024-01-01T00:00:00Z') },
    { formats: ['Patient'], owner: 'self', public: 'only', createdAfter: new Date('2024-01-01T00:00:00Z') },
    { formats: ['Patient'], owner: 'self', apps: ['self'], public: 'never', createdAfter: new Date('2024-01-01T00:00:00Z') },
  ]);
});

test('blocks equal after normalisation are kept once', () => {
  const filter = parse({
    $or: [
      { content: ['steps', 'body/weight'] },
      { content: ['body/weight', 'steps', 'steps'], owner: 'all' },
      { group: 'vital-signs', 'group-exclude': 'body-measures', content: 'steps' },
      { 'created-after': '2024-01-01' },
      { 'created-after': 1704067200000 },
    ],
  });
  assert.deepEqual(filter.blocks, [
    { contents: ['body/weight', 'steps'], owner: 'all', public: 'never' },
    { contents: ['blood-pressure', 'body/weight', 'steps'], owner: 'all', public: 'never' },
    { owner: 'all', public: 'never', createdAfter: new Date('2024-01-01T00:00:00Z') },
  ]);
});

test('dates: full date, date-time with zone, epoch ms as number or digits; anything else is refused', () => {
  const at = (v: unknown) => parse({ 'updated-after': v }).blocks[0]?.updatedAfter?.toISOString();
  assert.equal(at('2024-02-29'), '2024-02-29T00:00:00.000Z');
  assert.equal(at('2024-02-29T23:59Z'), '2024-02-29T23:59:00.000Z');
  assert.equal(at('2024-02-29T23:59:59.123-05:00'), '2024-03-01T04:59:59.123Z');
  assert.equal(at(0), '1970-01-01T00:00:00.000Z');
  assert.equal(at('1704067200000'), '2024-01-01T00:00:00.000Z');
  for (const v of ['2023-02-29', '2024-13-01', '2024-01-01T10:00', '2024-01-01T24:00Z', '01/02/2024', 'yesterday', -1, 1.5, 9e15, true, ['2024-01-01']]) {
    refused({ 'updated-after': v }, `updated-after: ${JSON.stringify(v)} is not an ISO 8601 date (2024-01-31), date-time with zone (2024-01-31T08:00:00Z) or epoch milliseconds`);
  }
  refused({ 'created-after': '2024-01-02', 'created-before': '2024-01-01' }, 'created-before: must be later than created-after (the window is empty)');
  refused({ 'updated-after': 5, 'updated-before': 5 }, 'updated-before: must be later than updated-after (the window is empty)');
});

test('every error names the path and the problem', () => {
  refused([], 'filter: must be a JSON object');
  refused(null, 'filter: must be a JSON object');
  refused({ contents: 'steps' }, 'contents: unknown key (known: $or, format, content, group, group-system, group-exclude, code, owner, app, public, created-after, created-before, updated-after, updated-before, tag, allow-tag, add-tag)');
  refused({ $or: [{}, { grop: 'x' }] }, '$or[1].grop: unknown key (known: $or, format, content, group, group-system, group-exclude, code, owner, app, public, created-after, created-before, updated-after, updated-before, tag, allow-tag, add-tag)');
  refused({ $or: {} }, '$or: must be an array of blocks');
  refused({ $or: [] }, '$or: needs at least one block');
  refused({ $or: ['steps'] }, '$or[0]: must be a JSON object');
  refused({ $or: [{ $or: [{ $or: [{}] }] }] }, '$or[0].$or[0].$or: $or nests only one level (a block of the top-level $or may have its own $or, no deeper)');
  refused({ $or: [{}, { group: 'fitnes' }] }, '$or[1].group: unknown group "fitnes" in group system v1');
  refused({ group: 'fitness', 'group-system': 'v2' }, 'group: unknown group "fitness" in group system v2');
  refused({ group: 'vital-signs', 'group-exclude': 'nope' }, 'group-exclude: unknown group "nope" in group system v1');
  refused({ group: 'empty-group' }, 'group: group "empty-group" in group system v1 has no content');
  refused({ group: 'fitness', 'group-exclude': 'fitness' }, 'group: group "fitness" in group system v1 has no content outside group-exclude');
  refused({ 'group-system': 'other' }, 'group-system: names the system of a group: give group too');
  refused({ 'group-exclude': 'fitness' }, 'group-exclude: leaves groups out of a group: give group too');
  refused({ group: 'fitness', 'group-system': ['v1', 'other'] }, 'group-system: takes one value');
  refused({ content: 'body/wieght' }, 'content: unknown content "body/wieght"');
  refused({ format: 'fhir/Observaton' }, 'format: "fhir/Observaton" is not fhir/<an R4 resource type>');
  refused({ format: 'Observation' }, 'format: "Observation" is not fhir/<an R4 resource type>');
  refused({ format: 'fhir/Patient', content: 'steps' }, 'content: content "steps" is of resource type Observation, not among format fhir/Patient');
  refused({ format: 'fhir/Patient', group: 'fitness' }, 'group: content "steps" is of resource type Observation, not among format fhir/Patient');
  refused({ code: `${LOINC} 0000-0` }, `code: unknown code "${LOINC} 0000-0" (no content has it)`);
  refused({ code: `${LOINC}|29463-7` }, `code: "${LOINC}|29463-7" is not "<system> <code>"`);
  refused({ code: 'nocode' }, 'code: "nocode" is not "<system> <code>"');
  refused({ content: 'steps', code: `${LOINC} 29463-7` }, `code: code "${LOINC} 29463-7" is content "body/weight", not among the block's contents`);
  refused({ format: 'fhir/Patient', code: `${LOINC} 29463-7` }, `code: code "${LOINC} 29463-7" is content "body/weight" (Observation), not among format fhir/Patient`);
  refused({ owner: 'me' }, 'owner: "me" is not one of self, all');
  refused({ public: 'never' }, 'public: "never" is not one of also, only');
  refused({ app: '' }, 'app: "" is not a non-empty string');
  refused({ app: [] }, 'app: needs at least one value');
  refused({ app: 42 }, 'app: 42 is not a non-empty string');
  refused({ tag: 'study-7' }, 'tag: "study-7" is not "<system> <code>"');
  refused({ 'allow-tag': 'http://x ' }, 'allow-tag: "http://x " is not "<system> <code>"');
  refused({ 'add-tag': ['http://x a', null] }, 'add-tag: null is not a non-empty string');
});

test('a default is blamed where it is written, not in each block', () => {
  refused({ format: 'fhir/Nope', $or: [{ content: 'steps' }] }, 'format: "fhir/Nope" is not fhir/<an R4 resource type>');
  refused({ content: 'steps', $or: [{}, { code: `${LOINC} 29463-7` }] }, `$or[1].code: code "${LOINC} 29463-7" is content "body/weight", not among the block's contents`);
});

test('sizes are limited', () => {
  refused({ app: Array.from({ length: FILTER_LIMITS.values + 1 }, (_, i) => `app-${i}`) }, `app: at most ${FILTER_LIMITS.values} values`);
  refused({ app: 'x'.repeat(FILTER_LIMITS.valueLength + 1) }, `app: a value is longer than ${FILTER_LIMITS.valueLength} characters`);
  refused({ $or: Array.from({ length: FILTER_LIMITS.blocks + 1 }, () => ({})) }, `$or: at most ${FILTER_LIMITS.blocks} blocks`);
  // 8 × 8 nested blocks pass each $or's own limit but not the total.
  const eight = Array.from({ length: 8 }, (_, i) => ({ 'created-after': i }));
  refused({ $or: Array.from({ length: 8 }, (_, i) => ({ app: `a${i}`, $or: eight })) }, `$or: at most ${FILTER_LIMITS.blocks} blocks (after expanding nested $or)`);
});

test('the types a filter can match: formats, narrowed by contents and codes; else every type', () => {
  const types = (json: unknown) => filterResourceTypes(parse(json), fakeTaxonomy);
  assert.deepEqual(types({ format: ['fhir/Patient', 'fhir/Condition'] }), ['Condition', 'Patient']);
  assert.deepEqual(types({ $or: [{ group: 'everything', 'group-system': 'other' }, { format: 'fhir/Patient' }] }), ['AllergyIntolerance', 'Observation', 'Patient']);
  assert.deepEqual(types({ code: 'http://snomed.info/sct 609328004' }), ['AllergyIntolerance']);
  assert.deepEqual(types({ format: ['fhir/Observation', 'fhir/Patient'], content: 'steps' }), ['Observation']);
  assert.equal(types({ $or: [{ format: 'fhir/Patient' }, { owner: 'self' }] }), 'every');
  const [block] = parse({ owner: 'self' }).blocks;
  assert.equal(block === undefined ? undefined : blockResourceTypes(block, fakeTaxonomy), 'every');
});

test('a NUL in any value is refused (PostgreSQL jsonb cannot hold it; the CLI reads files without the API’s check)', () => {
  refused({ tag: 'http://example.org/tags re\u0000search' }, 'tag: a value contains a NUL character');
  refused({ app: 'self\u0000' }, 'app: a value contains a NUL character');
});
