import assert from 'node:assert/strict';
import { apiCallAs, testApiCaller } from '../../test/support/api-caller.js';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { httpClient, type HttpClient } from '../../test/support/http.js';
import { createAccountService } from '../auth/accounts/account-service.js';
import { createHieService, type HieService } from '../auth/dialects/hie/hie-service.js';
import { createHttpApp } from './fastify-app.js';
import { registerHieApiRoutes } from './hie-api-routes.js';

let testDb: TestDatabase;
let app: FastifyInstance;
let http: HttpClient;
let hie: HieService;

before(async () => {
  testDb = await createTestDatabase();
  const { sql } = testDb.db;
  await sql`insert into accounts (id, email, roles) values ('dr', 'dr@example.org', '{developer}'), ('root', 'root@example.org', '{admin}')`;
  await sql`insert into organizations (id, name) values ('clinic', 'Clinic')`;
  const record = () => {};
  hie = createHieService({ db: testDb.db, accounts: createAccountService({ db: testDb.db, record }), record });
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 * 1024 });
  registerHieApiRoutes(app, {
    hie,
    authenticate: testApiCaller,
  });
  http = httpClient(await app.listen({ port: 0, host: '127.0.0.1' }));
});
after(async () => {
  await app.close();
  await testDb.drop();
});

const ADMIN = 'root:admin';
const call = apiCallAs(() => http);

test('admins issue, list and revoke organizations’ HIE credentials; the token is shown once', async () => {
  const made = await call(ADMIN, 'POST', '/api/hie/clients', { body: { organization_id: 'clinic' } });
  assert.equal(made.status, 201, made.text);
  assert.equal((await hie.clients.authenticate(made.json.client_id, made.json.x_auth_token)).organizationId, 'clinic');
  const listed = await call(ADMIN, 'GET', '/api/hie/clients');
  assert.deepEqual(listed.json.clients.map((c: { client_id: string }) => c.client_id), [made.json.client_id]);
  assert.ok(!listed.text.includes(made.json.x_auth_token), 'a list never shows a token');
  const revoked = await call(ADMIN, 'DELETE', `/api/hie/clients/${made.json.client_id}`);
  assert.equal(revoked.json.revoked, true);
  assert.equal((await call(ADMIN, 'POST', '/api/hie/clients', { body: { organization_id: 'nope' } })).status, 404);
  assert.equal((await call(ADMIN, 'POST', '/api/hie/clients', { body: { organization: 'clinic' } })).status, 400);
});

test("admins manage a user's profiles, groups and activation, by id or email", async () => {
  const put = await call(ADMIN, 'PUT', '/api/users/dr@example.org/hie/profiles', { body: { type: 'provider', id: '1001', catchment: ['302618'] } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json, { id: 'dr', email: 'dr@example.org', activated: true, groups: [], profiles: [{ type: 'provider', id: '1001', catchment: ['302618'] }] });
  const bad = await call(ADMIN, 'PUT', '/api/users/dr/hie/profiles', { body: { type: 'provider', id: '1002', catchment: ['302'] } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.issue[0].diagnostics, /not an area code/);
  assert.deepEqual((await call(ADMIN, 'PUT', '/api/users/dr/hie/groups/MCI%20Admin')).json.groups, ['MCI Admin']);
  assert.deepEqual((await call(ADMIN, 'DELETE', '/api/users/dr/hie/groups/MCI%20Admin')).json.groups, []);
  assert.equal((await call(ADMIN, 'PUT', '/api/users/dr/hie/activation', { body: { activated: false } })).json.activated, false);
  assert.equal((await call(ADMIN, 'GET', '/api/users/dr/hie')).json.activated, false);
  assert.deepEqual((await call(ADMIN, 'DELETE', '/api/users/dr/hie/profiles/provider/1001')).json.profiles, []);
  assert.equal((await call(ADMIN, 'DELETE', '/api/users/dr/hie/profiles/provider/1001')).status, 404);
  assert.equal((await call(ADMIN, 'GET', '/api/users/nobody/hie')).status, 404);
});

test('only admins: 403 for other accounts, 401 without a session', async () => {
  for (const [method, path] of [['GET', '/api/hie/clients'], ['GET', '/api/users/dr/hie'], ['PUT', '/api/users/dr/hie/groups/x']] as const) {
    assert.equal((await call('dr', method, path)).status, 403, path);
    assert.equal((await call(undefined, method, path)).status, 401, path);
  }
});

test('a NUL decoded from a path parameter names nothing: a 404, never a database error', async () => {
  for (const [method, path] of [
    ['DELETE', '/api/hie/clients/a%00b'],
    ['GET', '/api/users/d%00r/hie'],
    ['DELETE', '/api/users/dr/hie/groups/x%00'],
    ['DELETE', '/api/users/dr/hie/profiles/provider/p%00'],
  ] as const) {
    const answer = await call(ADMIN, method, path);
    assert.equal(answer.status, 404, `${method} ${path}`);
  }
});
