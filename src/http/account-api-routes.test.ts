import assert from 'node:assert/strict';
import { apiCallAs, testApiCaller } from '../../test/support/api-caller.js';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { httpClient, type HttpClient } from '../../test/support/http.js';
import { createAccountService } from '../auth/accounts/account-service.js';
import { registerAccountApiRoutes } from './account-api-routes.js';
import { createHttpApp } from './fastify-app.js';

let testDb: TestDatabase;
let app: FastifyInstance;
let http: HttpClient;

before(async () => {
  testDb = await createTestDatabase();
  await testDb.db.sql`insert into accounts (id, email, roles) values ('dev', 'dev@example.org', '{developer}'), ('root', 'root@example.org', '{admin}')`;
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 * 1024 });
  registerAccountApiRoutes(app, {
    accounts: createAccountService({ db: testDb.db, record: () => {} }),
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

test('admins create, list, show and disable users; bad input is a 400 naming the problem', async () => {
  const made = await call(ADMIN, 'POST', '/api/users', { body: { email: 'ann@example.org', password: 'a long enough password', roles: ['patient'], patient_id: 'p-ann' } });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.headers.get('location'), `/api/users/${made.json.id}`);
  assert.deepEqual({ ...made.json, id: undefined }, { id: undefined, email: 'ann@example.org', roles: ['patient'], patient_id: 'p-ann', disabled: false });
  assert.ok(!made.text.includes('password'), 'no password or hash in the answer');
  const listed = await call(ADMIN, 'GET', '/api/users');
  assert.deepEqual(listed.json.users.map((u: { email: string }) => u.email).sort(), ['ann@example.org', 'dev@example.org', 'root@example.org']);
  const shown = await call(ADMIN, 'GET', '/api/users/ann@example.org');
  assert.equal(shown.json.id, made.json.id);
  assert.deepEqual(shown.json.organizations, []);
  const disabled = await call(ADMIN, 'POST', `/api/users/${made.json.id}/disable`);
  assert.equal(disabled.json.disabled, true);

  const duplicate = await call(ADMIN, 'POST', '/api/users', { body: { email: 'ANN@example.org', password: 'a long enough password', roles: ['developer'] } });
  assert.equal(duplicate.status, 409);
  const weak = await call(ADMIN, 'POST', '/api/users', { body: { email: 'bob@example.org', password: 'short', roles: ['patient'] } });
  assert.equal(weak.status, 400);
  assert.match(weak.json.issue[0].diagnostics, /password/i);
  assert.match(weak.text, /needs the id of the account holder's Patient/, 'every problem at once');
  assert.equal((await call(ADMIN, 'POST', '/api/users', { body: { email: 'c@example.org', roles: ['developer'], admin: true } })).status, 400, 'unknown fields');
  assert.equal((await call(ADMIN, 'GET', '/api/users/nobody')).status, 404);
  assert.equal((await call(ADMIN, 'POST', '/api/users/nobody/disable')).status, 404);
  assert.equal((await call(ADMIN, 'GET', '/api/users/d%00v')).status, 404);
});

test('admins create organizations and teams and add members by email, with a role', async () => {
  const org = await call(ADMIN, 'POST', '/api/organizations', { body: { name: 'Clinic North', identifier: 'http://hl7.org/fhir/sid/us-npi|1234567893' } });
  assert.equal(org.status, 201, org.text);
  assert.deepEqual(org.json.identifier, { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' });
  const same = await call(ADMIN, 'POST', '/api/organizations', { body: { name: 'Copy', identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' } } });
  assert.equal(same.status, 409);
  const bar = await call(ADMIN, 'POST', '/api/organizations', { body: { name: 'X', identifier: 'no-bar' } });
  assert.equal(bar.status, 400);
  assert.match(bar.json.issue[0].diagnostics, /SYSTEM\|VALUE/);
  assert.equal((await call(ADMIN, 'POST', '/api/organizations', { body: { name: '  ' } })).status, 400);

  const team = await call(ADMIN, 'POST', `/api/organizations/${org.json.id}/teams`, { body: { name: 'Cardiology' } });
  assert.equal(team.status, 201, team.text);
  assert.equal(team.json.parent_id, org.json.id);
  assert.equal((await call(ADMIN, 'POST', `/api/organizations/${team.json.id}/teams`, { body: { name: 'Nested' } })).status, 404, 'teams do not nest');

  const added = await call(ADMIN, 'PUT', `/api/organizations/${org.json.id}/members/dev@example.org`, { body: { role: 'manager' } });
  assert.equal(added.status, 200, added.text);
  assert.equal(added.json.role, 'manager');
  assert.equal((await call(ADMIN, 'PUT', `/api/organizations/${team.json.id}/members/dev`, { body: {} })).json.role, 'member');
  assert.equal((await call(ADMIN, 'PUT', `/api/organizations/${org.json.id}/members/dev`, { body: { role: 'owner' } })).status, 400);
  assert.equal((await call(ADMIN, 'PUT', `/api/organizations/${org.json.id}/members/nobody`, { body: {} })).status, 404);
  assert.equal((await call(ADMIN, 'PUT', '/api/organizations/nope/members/dev', { body: {} })).status, 404);

  const shown = await call(ADMIN, 'GET', `/api/organizations/${org.json.id}`);
  assert.deepEqual(shown.json.teams.map((t: { name: string }) => t.name), ['Cardiology']);
  assert.deepEqual(shown.json.members.map((m: { account: { email: string }; role: string }) => [m.account.email, m.role]), [['dev@example.org', 'manager']]);
  assert.deepEqual((await call(ADMIN, 'GET', `/api/organizations/${team.json.id}/members`)).json.members.length, 1);
  const listed = await call(ADMIN, 'GET', '/api/organizations');
  assert.deepEqual(listed.json.organizations.map((o: { name: string; kind: string }) => `${o.kind} ${o.name}`), ['organization Clinic North', 'team Cardiology']);
  const dev = await call(ADMIN, 'GET', '/api/users/dev');
  assert.deepEqual(dev.json.organizations.map((m: { organization: { name: string }; role: string }) => [m.organization.name, m.role]), [['Cardiology', 'member'], ['Clinic North', 'manager']]);
  assert.equal((await call(ADMIN, 'GET', '/api/organizations/nope')).status, 404);
});

test('only admins: 403 for other accounts, 401 without a session', async () => {
  for (const [method, path, body] of [
    ['GET', '/api/users', undefined],
    ['POST', '/api/users', { email: 'x@example.org', password: 'a long enough password', roles: ['admin'] }],
    ['GET', '/api/users/dev', undefined],
    ['POST', '/api/users/root/disable', undefined],
    ['GET', '/api/organizations', undefined],
    ['POST', '/api/organizations', { name: 'Mine' }],
    ['PUT', '/api/organizations/any/members/dev', { role: 'manager' }],
  ] as const) {
    const refused = await call('dev', method, path, body === undefined ? {} : { body });
    assert.equal(refused.status, 403, path);
    assert.match(refused.json.issue[0].diagnostics, /needs the admin role/);
    assert.equal((await call(undefined, method, path, body === undefined ? {} : { body })).status, 401, path);
  }
  assert.equal((await call(ADMIN, 'GET', '/api/users/root')).json.disabled, false, 'the refused disable changed nothing');
});
