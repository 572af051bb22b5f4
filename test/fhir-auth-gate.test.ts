import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpClient } from './support/http.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { institutionToken } from './support/institution.js';

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

test('terminology reads need no credentials (docs/hie.md); nothing else does', async () => {
  const fhir = httpClient(server.fhirBase);
  const seed = { authorization: `Bearer ${await institutionToken(server.fhirkeep)}` };
  assert.equal((await fhir('PUT', '/ValueSet/vs1', { body: { resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://example.org/vs1' }, headers: seed })).status, 201);
  assert.equal((await fhir('PUT', '/CodeSystem/cs1', { body: { resourceType: 'CodeSystem', id: 'cs1', status: 'active', content: 'complete' }, headers: seed })).status, 201);
  assert.equal((await fhir('PUT', '/Patient/p1', { body: { resourceType: 'Patient', id: 'p1' }, headers: seed })).status, 201);

  const read = await fhir('GET', '/ValueSet/vs1');
  assert.equal(read.status, 200);
  assert.equal(read.json.url, 'http://example.org/vs1');
  assert.equal((await fhir('GET', '/ValueSet/vs1/_history/1')).status, 200);
  const search = await fhir('GET', '/ValueSet?url=http://example.org/vs1');
  assert.equal(search.status, 200);
  assert.deepEqual(search.json.entry.map((e: { resource: { id: string } }) => e.resource.id), ['vs1']);
  assert.equal((await fhir('GET', '/CodeSystem/cs1')).status, 200);
  for (const type of ['ConceptMap', 'NamingSystem']) assert.equal((await fhir('GET', `/${type}`)).status, 200, type);

  // Everything else still needs credentials: other types, writes, system-level searches.
  for (const [method, path] of [['GET', '/Patient/p1'], ['GET', '/Patient'], ['GET', '/?_type=ValueSet'], ['GET', '/_history'], ['DELETE', '/ValueSet/vs1']] as const) {
    assert.equal((await fhir(method, path)).status, 401, `${method} ${path}`);
  }
  assert.equal((await fhir('PUT', '/ValueSet/vs1', { body: { resourceType: 'ValueSet', id: 'vs1', status: 'retired' } })).status, 401);
  assert.equal((await fhir('POST', '/ValueSet/_search', { raw: 'url=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 401);
  // An include reaches only terminology: no patient data through it.
  const included = await fhir('GET', '/ValueSet?_revinclude=Provenance:target');
  assert.equal(included.status, 200);
  assert.ok(included.json.entry.every((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'ValueSet'));
  // Credentials presented are checked, even where none are needed.
  assert.equal((await fhir('GET', '/ValueSet/vs1', { headers: { authorization: 'Bearer not-a-token' } })).status, 401);
  assert.equal((await fhir('GET', '/ValueSet/vs1', { headers: { client_id: 'x', 'X-Auth-Token': 'not-a-token' } })).status, 401);
});
