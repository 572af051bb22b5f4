import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverForThisFile } from './support/fhirkeep-server.js';

const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1' });

test('metadata is an R4 CapabilityStatement that names this server', async () => {
  const res = await file.fhir('GET', '/metadata');
  assert.equal(res.status, 200);
  assert.equal(res.json.resourceType, 'CapabilityStatement');
  assert.equal(res.json.fhirVersion, '4.0.1');
  assert.equal(res.json.implementation.url, file.server.fhirBase);
  const patient = res.json.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
  assert.ok(patient.interaction.some((i: { code: string }) => i.code === 'read'));
});

test('XML is refused with 406, by Accept or by _format', async () => {
  const byAccept = await file.fhir('GET', '/metadata', { headers: { accept: 'application/fhir+xml' } });
  assert.equal(byAccept.status, 406);
  assert.equal(byAccept.json.resourceType, 'OperationOutcome');
  assert.equal((await file.fhir('GET', '/metadata?_format=xml')).status, 406);
  assert.equal((await file.fhir('GET', '/metadata?_format=application/fhir%2Bxml')).status, 406);
  assert.equal((await file.fhir('GET', '/metadata', { headers: { accept: 'application/fhir+json; fhirVersion=3.0' } })).status, 406);
});

test('JSON in all its spellings is served', async () => {
  assert.equal((await file.fhir('GET', '/metadata?_format=json')).status, 200);
  const plain = await file.fhir('GET', '/metadata', { headers: { accept: 'application/json' } });
  assert.equal(plain.status, 200);
  assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
  const versioned = await file.fhir('GET', '/metadata', { headers: { accept: 'application/fhir+json; fhirVersion=4.0' } });
  assert.equal(versioned.status, 200);
  assert.equal((await file.fhir('GET', '/metadata', { headers: { accept: 'text/html, */*;q=0.8' } })).status, 200);
  const created = await file.fhir('POST', '/Patient', {
    raw: '{"resourceType":"Patient"}',
    headers: { 'content-type': 'application/fhir+json; fhirVersion=4.0; charset=utf-8' },
  });
  assert.equal(created.status, 201);
});
