import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpClient } from './support/http.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('without FHIRKEEP_DEV_NO_AUTH the FHIR API refuses unauthenticated requests', async () => {
  const fhir = httpClient(server.fhirBase);
  const read = await fhir('GET', '/Patient/x');
  assert.equal(read.status, 401);
  assert.equal(read.json.resourceType, 'OperationOutcome');
  assert.match(read.headers.get('www-authenticate') ?? '', /^Bearer/);
  const write = await fhir('POST', '/Patient', { body: { resourceType: 'Patient' } });
  assert.equal(write.status, 401);
  assert.equal((await fhir('GET', '/_history')).status, 401);
});

test('metadata and health stay public', async () => {
  assert.equal((await fetch(`${server.fhirBase}/metadata`)).status, 200);
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
  assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 200);
});
