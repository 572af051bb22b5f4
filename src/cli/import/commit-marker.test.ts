import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markCommit, type Transaction } from './commit-marker.js';

const synthea = (): Transaction => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    { fullUrl: 'urn:uuid:org', resource: { resourceType: 'Organization', name: 'Clinic' }, request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=x|1' } },
    { fullUrl: 'urn:uuid:pat', resource: { resourceType: 'Patient', managingOrganization: { reference: 'urn:uuid:org' } }, request: { method: 'POST', url: 'Patient' } },
    { fullUrl: 'urn:uuid:obs', resource: { resourceType: 'Observation', subject: { reference: 'urn:uuid:pat' }, performer: [{ reference: 'urn:uuid:pat' }] }, request: { method: 'POST', url: 'Observation' } },
  ],
});

test('the first plain create becomes a PUT at an id from the seed, and references to it follow', () => {
  const tx = synthea();
  const marker = markCommit(tx, 'bundle text');
  assert.ok(marker !== undefined);
  assert.equal(marker.type, 'Patient');
  assert.match(marker.id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const [org, patient, observation] = tx.entry;
  assert.deepEqual(org?.request, { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=x|1' }, 'a conditional create is idempotent already');
  assert.deepEqual(patient?.request, { method: 'PUT', url: `Patient/${marker.id}` });
  assert.equal(patient?.resource?.id, marker.id);
  assert.equal(patient?.fullUrl, undefined);
  assert.deepEqual(patient?.resource?.managingOrganization, { reference: 'urn:uuid:org' }, 'other fullUrls are the server’s to map');
  assert.deepEqual(observation?.request, { method: 'POST', url: 'Observation' }, 'the other creates keep the fast path');
  assert.deepEqual(observation?.resource?.subject, { reference: `Patient/${marker.id}` });
  assert.deepEqual(observation?.resource?.performer, [{ reference: `Patient/${marker.id}` }]);
});

test('the same seed gives the same marker, another seed another', () => {
  assert.deepEqual(markCommit(synthea(), 'a'), markCommit(synthea(), 'a'));
  assert.notEqual(markCommit(synthea(), 'a')?.id, markCommit(synthea(), 'b')?.id);
});

test('a transaction without a plain create (PUTs at given ids, conditional creates, odd entries) is left alone', () => {
  const tx: Transaction = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [null, { resource: { resourceType: 'Patient', id: 'p1' }, request: { method: 'PUT', url: 'Patient/p1' } }, { request: { method: 'POST', url: 'Patient' } }, { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient?name=x' } }],
  };
  const before = JSON.stringify(tx);
  assert.equal(markCommit(tx, 'seed'), undefined);
  assert.equal(JSON.stringify(tx), before);
});
