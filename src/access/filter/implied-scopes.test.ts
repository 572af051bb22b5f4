import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeTaxonomy } from '../../../test/support/fake-taxonomy.js';
import { impliedScopes } from './implied-scopes.js';
import { parseAccessFilter } from './parse-filter.js';

const filter = (json: unknown) => parseAccessFilter(json, { taxonomy: fakeTaxonomy, resourceTypes: new Set(['Observation', 'Patient', 'AllergyIntolerance']) });

test('one user/<Type>.<perm> per type the filter can match; the write mode picks the permissions', () => {
  const f = filter({ $or: [{ group: 'fitness' }, { format: 'fhir/Patient' }, { content: 'allergy' }] });
  assert.deepEqual(impliedScopes(f, 'none', fakeTaxonomy), ['user/AllergyIntolerance.rs', 'user/Observation.rs', 'user/Patient.rs']);
  assert.deepEqual(impliedScopes(f, 'update', fakeTaxonomy), ['user/AllergyIntolerance.rus', 'user/Observation.rus', 'user/Patient.rus']);
  assert.deepEqual(impliedScopes(f, 'create', fakeTaxonomy), ['user/AllergyIntolerance.crus', 'user/Observation.crus', 'user/Patient.crus']);
  assert.deepEqual(impliedScopes(f, 'any', fakeTaxonomy), ['user/AllergyIntolerance.cruds', 'user/Observation.cruds', 'user/Patient.cruds']);
});

test('no filter, or a block matching every type: user/*', () => {
  assert.deepEqual(impliedScopes(undefined, 'any', fakeTaxonomy), ['user/*.cruds']);
  assert.deepEqual(impliedScopes(filter({ $or: [{ format: 'fhir/Patient' }, { owner: 'self' }] }), 'none', fakeTaxonomy), ['user/*.rs']);
});
