/**
 * The first-start demo (CONTRACT.md, "First start"): loaded into a fresh database only, through
 * the services every other write uses, so its printed key and login work at once. The real
 * binary on the embedded default: test/cli-serve.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemScope } from '../src/access/scope.js';
import { parseConfig } from '../src/config/load.js';
import { demoWanted, loadDemo, type DemoDependencies, type LoadedDemo } from '../src/demo/load-demo.js';
import type { FhirRequest } from '../src/rest/fhir-request.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

let server: TestServer;
let deps: DemoDependencies;
before(async () => {
  server = await startTestServer();
  const { fhirkeep } = server;
  deps = { handle: (req) => fhirkeep.router.handle(req), accounts: fhirkeep.auth.accounts, clients: fhirkeep.auth.clients, serviceKeys: fhirkeep.auth.serviceKeys, consents: fhirkeep.consents };
});
after(() => server.close());

const asSystem = (method: FhirRequest['method'], path: string, body?: unknown) =>
  server.fhirkeep.router.handle({ method, path, query: new URLSearchParams(), body: body === undefined ? undefined : JSON.stringify(body), contentType: 'application/fhir+json', headers: {}, scope: systemScope('test') });

async function ids(path: string, key: string): Promise<string[]> {
  const res = await fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  return (((await res.json()) as { entry?: { resource: { id: string } }[] }).entry ?? []).map((e) => e.resource.id).sort();
}

test('only the embedded database of a newcomer gets the demo, and FHIRKEEP_DEMO=0 skips it', () => {
  assert.equal(demoWanted(parseConfig({})), true);
  assert.equal(demoWanted(parseConfig({ FHIRKEEP_DEMO: '0' })), false);
  assert.equal(demoWanted(parseConfig({ FHIRKEEP_DATABASE_URL: 'postgres://db/fhir' })), false);
  assert.equal(server.fhirkeep.demo(), undefined, 'a server on FHIRKEEP_DATABASE_URL (every test server) loads none');
});

test('the demo loads into a fresh database only, and what it prints works at once', async () => {
  // A Patient alone makes the database not fresh; deleted, it no longer counts.
  assert.equal((await asSystem('PUT', 'Patient/someone', { resourceType: 'Patient', id: 'someone' })).status, 201);
  assert.equal(await loadDemo(deps), undefined, 'a database holding a Patient gets no demo');
  assert.equal((await asSystem('DELETE', 'Patient/someone')).status < 300, true);

  const demo = (await loadDemo(deps)) as LoadedDemo;
  assert.ok(demo !== undefined, 'a fresh database gets the demo');
  assert.deepEqual(demo.patients, ['demo-alice', 'demo-bob', 'demo-carol']);

  // The static key of the demo service reads exactly its one subscriber, Alice.
  assert.deepEqual(await ids('Patient', demo.service.apiKey), ['demo-alice']);
  assert.deepEqual(await ids('Observation', demo.service.apiKey), ['demo-alice-hba1c', 'demo-alice-heart-rate', 'demo-alice-weight']);
  assert.deepEqual(await ids('Observation?code=http://loinc.org|29463-7', demo.service.apiKey), ['demo-alice-weight'], 'indexed like any write');
  assert.deepEqual(await ids('Condition', demo.service.apiKey), ['demo-alice-condition']);
  // Bob and Carol are stored all the same.
  assert.equal((await asSystem('GET', 'Observation/demo-carol-weight')).status, 200);

  const app = await server.fhirkeep.auth.clients.find(demo.app.clientId);
  assert.equal(app?.isPublic, true);
  assert.deepEqual(app?.redirectUris, ['http://localhost:9000/callback']);
  assert.deepEqual([...(app?.scopes ?? [])], ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs']);

  const alice = await server.fhirkeep.auth.accounts.authenticate(demo.patientLogin.email, demo.patientLogin.password, { ip: '127.0.0.1' });
  assert.equal(alice.patientId, 'demo-alice');

  assert.equal(await loadDemo(deps), undefined, 'a second start loads nothing more');
});
