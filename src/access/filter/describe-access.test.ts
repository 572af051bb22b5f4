import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeTaxonomy } from '../../../test/support/fake-taxonomy.js';
import { describeClientAccess } from './describe-access.js';

const context = { taxonomy: fakeTaxonomy, resourceTypes: new Set(['Observation', 'Patient']) };

test('a client\'s filter in plain words, then what it may write', () => {
  assert.deepEqual(describeClientAccess({ accessFilter: { content: 'body/weight', owner: 'self', 'created-after': '2024-01-01' }, writeMode: 'none', reach: 'consented', type: 'smart' }, context), [
    'Body weight records you own, created after 1 Jan 2024',
    'It cannot add, change or delete anything',
  ]);
  assert.deepEqual(describeClientAccess({ accessFilter: undefined, writeMode: 'any', reach: 'consented', type: 'smart' }, context), [
    'All records you own or that are shared with you',
    'It may add, change and delete records',
  ]);
});

test('a filter that no longer reads shows nothing shared; an institution\'s own system says so first', () => {
  assert.deepEqual(describeClientAccess({ accessFilter: { content: 'gone/away' }, writeMode: 'create', reach: 'consented', type: 'smart' }, context), [
    'Nothing for now: its data access settings must be saved again by its developer',
  ]);
  const all = describeClientAccess({ accessFilter: undefined, writeMode: 'update', reach: 'all', type: 'service' }, context);
  assert.match(all[0] ?? '', /every record on this server/);
  assert.equal(all.at(-1), 'It may change records it can see, but not add or delete any');
});

test('a service gets only its subscribers\' own records, so it is never told "or shared with you"', () => {
  assert.deepEqual(describeClientAccess({ accessFilter: { format: 'fhir/Observation' }, writeMode: 'none', reach: 'consented', type: 'service' }, context), [
    'Observation records you own',
    'It cannot add, change or delete anything',
  ]);
});
