import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeScope } from './scope-descriptions.js';

test('scopes read as plain words (SMART v1 and v2, fixed scopes, unknown ones)', () => {
  assert.equal(describeScope('patient/Observation.rs'), 'Read and search Observation records of the selected patient');
  assert.equal(describeScope('user/*.cruds'), 'Create, read, change, delete and search all records that you can access');
  assert.equal(describeScope('patient/*.read'), 'Read all records of the selected patient');
  assert.equal(
    describeScope('patient/Observation.rs?category=laboratory'),
    'Read and search Observation records of the selected patient (only where category=laboratory)',
  );
  assert.equal(describeScope('launch/patient'), 'Know which patient record is selected');
  assert.equal(describeScope('weird'), 'Use the permission “weird”');
});
