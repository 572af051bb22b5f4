import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { systemScope } from '../access/scope.js';
import { createStudyGrants } from '../access/studies/study-grants.js';
import type { SecurityEvent } from '../auth/security-events.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { createStudyStore } from '../storage/access/study-store.js';
import { createClientStore } from '../storage/auth/client-store.js';
import { createResourceStore } from '../storage/resource-store.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { httpClient, type HttpClient } from '../../test/support/http.js';
import { createHttpApp } from './fastify-app.js';
import { registerStudyApiRoutes } from './study-api-routes.js';

const TRIAL = 'https://clinicaltrials.gov|NCT-1';
let testDb: TestDatabase;
let app: FastifyInstance;
let http: HttpClient;
const events: SecurityEvent[] = [];

before(async () => {
  testDb = await createTestDatabase();
  const { sql } = testDb.db;
  await sql`insert into accounts (id, email, roles) values ('admin', 'admin@example.org', '{admin}'), ('dev', 'dev@example.org', '{developer}')`;
  await sql`insert into clients (id, type, name, public, owner_account) values ('lab', 'research', 'Heart lab', false, 'dev')`;
  const store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  await store.update(systemScope('test data'), 'ResearchStudy', 'heart', { resourceType: 'ResearchStudy', id: 'heart', status: 'active', identifier: [{ system: 'https://clinicaltrials.gov', value: 'NCT-1' }] });
  const clients = createClientStore(sql);
  const studies = createStudyGrants({ store: createStudyStore(sql), client: async (id) => (await clients.find(id))?.client, record: (e) => events.push(e) });
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 * 1024 });
  // A stand-in for the session authentication: "Test <account>:<role,role>".
  registerStudyApiRoutes(app, {
    studies,
    async authenticate(request) {
      const match = /^Test ([\w-]+):([\w,]+)$/.exec(request.headers.authorization ?? '');
      if (match === null) throw new FhirkeepError('unauthorized', 'Sign in first');
      return { accountId: match[1] ?? '', roles: (match[2] ?? '').split(',') };
    },
  });
  http = httpClient(await app.listen({ port: 0, host: '127.0.0.1' }));
});
after(async () => {
  await app.close();
  await testDb.drop();
});

const ADMIN = { authorization: 'Test admin:admin', 'content-type': 'application/json' };

test('an admin grants a study by identifier, lists it, and revokes it by identifier (its system a URL)', async () => {
  const granted = await http('POST', '/api/clients/lab/studies', { headers: ADMIN, body: { study: TRIAL } });
  assert.equal(granted.status, 201, granted.text);
  assert.equal(granted.headers.get('cache-control'), 'no-store');
  assert.deepEqual([granted.json.client_id, granted.json.study_id, granted.json.granted_by], ['lab', 'heart', 'admin']);
  assert.deepEqual((await http('GET', '/api/clients/lab/studies', { headers: ADMIN })).json.grants.map((g: { study_id: string }) => g.study_id), ['heart']);
  const revoked = await http('DELETE', `/api/clients/lab/studies/${encodeURIComponent(TRIAL)}`, { headers: ADMIN });
  assert.equal(revoked.status, 200, revoked.text);
  assert.deepEqual(revoked.json.revoked.map((g: { study_id: string }) => g.study_id), ['heart']);
  assert.equal((await http('DELETE', '/api/clients/lab/studies/heart', { headers: ADMIN })).status, 404, 'nothing left to revoke');
  assert.deepEqual(
    events.map((e) => [e.kind, e.accountId, e.detail?.['study']]),
    [['study-grant', 'admin', 'heart'], ['study-revoke', 'admin', 'heart']],
  );
});

test('only admins: a developer, even the client’s owner, gets 403; no session 401; nothing changes', async () => {
  const dev = await http('POST', '/api/clients/lab/studies', { headers: { ...ADMIN, authorization: 'Test dev:developer' }, body: { study: 'heart' } });
  assert.equal(dev.status, 403);
  assert.equal(dev.json.resourceType, 'OperationOutcome');
  assert.equal((await http('GET', '/api/clients/lab/studies', { headers: { authorization: 'Test dev:developer' } })).status, 403);
  assert.equal((await http('POST', '/api/clients/lab/studies', { headers: { 'content-type': 'application/json' }, body: { study: 'heart' } })).status, 401);
  assert.deepEqual((await http('GET', '/api/clients/lab/studies', { headers: ADMIN })).json.grants, []);
});

test('bad input: an unknown study or client is 404, a bad body 400, another media type 415', async () => {
  const post = (body: unknown, headers: Record<string, string> = ADMIN, client = 'lab') => http('POST', `/api/clients/${client}/studies`, { headers, body });
  assert.equal((await post({ study: 'no-such-study' })).status, 404);
  assert.equal((await post({ study: 'heart' }, ADMIN, 'ghost')).status, 404);
  for (const body of [{}, { study: '' }, { study: 'heart', extra: 1 }, { study: 7 }]) assert.equal((await post(body)).status, 400, JSON.stringify(body));
  assert.equal((await http('POST', '/api/clients/lab/studies', { headers: { ...ADMIN, 'content-type': 'text/plain' }, raw: 'heart' })).status, 415);
});

test('GET /api/studies/{study}: the study an id or identifier names, as a grant would find it; admins only', async () => {
  const HEADERS = { authorization: 'Test admin:admin' };
  const recorded = events.length;
  for (const ref of ['heart', encodeURIComponent(TRIAL)]) {
    const found = await http('GET', `/api/studies/${ref}`, { headers: HEADERS });
    assert.equal(found.status, 200, found.text);
    assert.equal(found.headers.get('cache-control'), 'no-store');
    assert.deepEqual(found.json, { study_id: 'heart' });
  }
  const unknown = await http('GET', `/api/studies/${encodeURIComponent('https://clinicaltrials.gov|NCT-none')}`, { headers: HEADERS });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.resourceType, 'OperationOutcome');
  assert.equal(unknown.json.issue[0].diagnostics, 'There is no ResearchStudy https://clinicaltrials.gov|NCT-none');
  assert.equal((await http('GET', '/api/studies/a%00b', { headers: HEADERS })).status, 404, 'a NUL names nothing');
  assert.equal((await http('GET', '/api/studies/heart', { headers: { authorization: 'Test dev:developer' } })).status, 403);
  assert.equal((await http('GET', '/api/studies/heart')).status, 401);
  assert.equal(events.length, recorded, 'a look-up grants nothing and records nothing');
});
