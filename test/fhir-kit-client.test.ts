import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'fhir-kit-client';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

let server: TestServer;
let client: Client;

before(async () => {
  server = await startTestServer({ FHIRKEEP_DEV_NO_AUTH: '1' });
  client = new Client({ baseUrl: server.fhirBase });
});
after(() => server.close());

interface Patient {
  resourceType: 'Patient';
  id?: string;
  meta?: { versionId?: string };
  gender?: string;
  [k: string]: unknown;
}

test('a published FHIR client can create, read, update, patch, vread, page history and delete', async () => {
  const capability = (await client.capabilityStatement()) as unknown as { fhirVersion: string };
  assert.equal(capability.fhirVersion, '4.0.1');

  const created = (await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', gender: 'male' } })) as Patient;
  assert.ok(created.id);
  const id = created.id;

  const read = (await client.read({ resourceType: 'Patient', id })) as Patient;
  assert.equal(read.gender, 'male');

  const updated = (await client.update({ resourceType: 'Patient', id, body: { ...read, gender: 'female' } })) as Patient;
  assert.equal(updated.meta?.versionId, '2');

  const patched = (await client.patch({
    resourceType: 'Patient',
    id,
    jsonPatch: [{ op: 'add', path: '/active', value: true }],
  })) as Patient;
  assert.equal(patched.active, true);

  const v1 = (await client.vread({ resourceType: 'Patient', id, version: '1' })) as Patient;
  assert.equal(v1.gender, 'male');

  const history = (await client.history({ resourceType: 'Patient', id, options: { headers: {} } })) as unknown as { total: number };
  assert.equal(history.total, 3);

  await client.delete({ resourceType: 'Patient', id });
  await assert.rejects(client.read({ resourceType: 'Patient', id }), (e: { response?: { status: number } }) => e.response?.status === 410);
});
