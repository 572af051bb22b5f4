import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { createClientRegistry, type ClientRegistry } from '../auth/clients/client-registry.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { createClientStore } from '../storage/auth/client-store.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { httpClient, type HttpClient, type SendOptions } from '../../test/support/http.js';
import { createHttpApp } from './fastify-app.js';
import { registerClientApiRoutes } from './client-api-routes.js';

let testDb: TestDatabase;
let registry: ClientRegistry;
let app: FastifyInstance;
let http: HttpClient;

before(async () => {
  testDb = await createTestDatabase();
  await testDb.db.sql`insert into accounts (id, email, roles) values
    ('admin', 'admin@example.org', '{admin}'), ('dev-a', 'a@example.org', '{developer}'), ('dev-b', 'b@example.org', '{developer}'), ('pat', 'p@example.org', '{patient}')`;
  registry = await createClientRegistry({ store: createClientStore(testDb.db.sql), recordEvent: () => {} });
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 * 1024 });
  // A stand-in for the real bearer/session authentication: "Test <account>:<role,role>".
  registerClientApiRoutes(app, {
    registry,
    async authenticate(request) {
      const match = /^Test ([\w-]+):([\w,]+)$/.exec(request.headers.authorization ?? '');
      if (match === null) throw new FhirkeepError('unauthorized', 'Sign in first', { headers: { 'WWW-Authenticate': 'Bearer' } });
      return { accountId: match[1] ?? '', roles: (match[2] ?? '').split(',') };
    },
  });
  http = httpClient(await app.listen({ port: 0, host: '127.0.0.1' }));
});
after(async () => {
  await app.close();
  await registry.close();
  await testDb.drop();
});

const as = (who: string) => ({ authorization: `Test ${who}`, 'content-type': 'application/json', accept: 'application/json' });
const ADMIN = as('admin:admin');
const DEV_A = as('dev-a:developer');
const DEV_B = as('dev-b:developer');
const call = (method: string, path: string, headers: Record<string, string>, options: SendOptions = {}) => http(method, path, { ...options, headers: { ...headers, ...options.headers } });
const service = { type: 'service', client_name: 'Nightly sync', scope: 'system/*.rs' };

test('create, read, list, rotate and revoke a client as its developer', async () => {
  const created = await call('POST', '/api/clients', DEV_A, { body: service });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.headers.get('cache-control'), 'no-store');
  assert.equal(created.headers.get('location'), `/api/clients/${created.json.client_id}`);
  assert.match(created.json.client_secret, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual([created.json.owner_account, created.json.scope, created.json.token_endpoint_auth_method], ['dev-a', 'system/*.rs', 'client_secret_basic']);
  const id: string = created.json.client_id;

  const read = await call('GET', `/api/clients/${id}`, DEV_A);
  assert.equal(read.status, 200);
  assert.equal(read.json.client_secret, undefined, 'the secret is shown once only');
  assert.equal(read.json.client_name, 'Nightly sync');

  const rotated = await call('POST', `/api/clients/${id}/secret`, DEV_A);
  assert.equal(rotated.status, 200, rotated.text);
  assert.notEqual(rotated.json.client_secret, created.json.client_secret);

  const edited = await call('PATCH', `/api/clients/${id}`, DEV_A, { body: { client_name: 'Nightly sync v2', scope: 'system/Patient.rs' } });
  assert.equal(edited.status, 200, edited.text);
  assert.deepEqual([edited.json.client_name, edited.json.scope], ['Nightly sync v2', 'system/Patient.rs']);

  const revoked = await call('DELETE', `/api/clients/${id}`, DEV_A);
  assert.equal(revoked.status, 200);
  assert.equal(revoked.json.revoked, true);
  const again = await call('POST', `/api/clients/${id}/secret`, DEV_A);
  assert.deepEqual([again.status, again.json.error], [400, 'bad-request']);
});

test('developers see only their own clients (others are 404); admins see all and may set the owner', async () => {
  const mine = (await call('POST', '/api/clients', DEV_A, { body: { ...service, client_name: 'A only' } })).json.client_id as string;
  const theirs = (await call('POST', '/api/clients', DEV_B, { body: { ...service, client_name: 'B only' } })).json.client_id as string;
  const forB = await call('POST', '/api/clients', ADMIN, { body: { ...service, client_name: 'Made for B', owner_account: 'dev-b' } });
  assert.equal(forB.json.owner_account, 'dev-b');

  const listA = (await call('GET', '/api/clients', DEV_A)).json.clients.map((c: { client_id: string }) => c.client_id);
  assert.ok(listA.includes(mine) && !listA.includes(theirs));
  const listB = (await call('GET', '/api/clients', DEV_B)).json.clients.map((c: { client_name: string }) => c.client_name);
  assert.deepEqual(listB, ['B only', 'Made for B']);
  const listAdmin = (await call('GET', '/api/clients', ADMIN)).json.clients.map((c: { client_id: string }) => c.client_id);
  assert.ok(listAdmin.includes(mine) && listAdmin.includes(theirs));

  for (const [method, path] of [['GET', `/api/clients/${theirs}`], ['DELETE', `/api/clients/${theirs}`], ['POST', `/api/clients/${theirs}/secret`], ['PATCH', `/api/clients/${theirs}`]] as const) {
    const res = await call(method, path, DEV_A, method === 'PATCH' ? { body: { client_name: 'hijacked' } } : {});
    assert.deepEqual([res.status, res.json.error], [404, 'not-found'], `${method} ${path}`);
  }
  assert.equal((await registry.find(theirs))?.revoked, false);
  assert.equal((await call('DELETE', `/api/clients/${theirs}`, ADMIN)).json.revoked, true);
  assert.equal((await call('GET', '/api/clients/nope', ADMIN)).status, 404);

  const stolen = await call('POST', '/api/clients', DEV_A, { body: { ...service, owner_account: 'dev-b' } });
  assert.deepEqual([stolen.status, stolen.json.error], [403, 'forbidden']);
  const ghost = await call('POST', '/api/clients', ADMIN, { body: { ...service, owner_account: 'ghost' } });
  assert.deepEqual([ghost.status, ghost.json.error_description], [400, 'There is no account ghost to own the client']);
});

test('401 without a caller, 403 without the developer or admin role', async () => {
  const anonymous = await http('GET', '/api/clients', { headers: { accept: 'application/json' } });
  assert.equal(anonymous.status, 401);
  assert.deepEqual(anonymous.json, { error: 'unauthorized', error_description: 'Sign in first' });
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
  const patient = await call('POST', '/api/clients', as('pat:patient'), { body: service });
  assert.deepEqual([patient.status, patient.json.error], [403, 'forbidden']);
});

test('bodies are checked strictly: JSON only, known fields, right types, valid metadata', async () => {
  const bad = async (options: SendOptions, status: number, description: RegExp, path = '/api/clients', method = 'POST') => {
    const res = await call(method, path, ADMIN, options);
    assert.equal(res.status, status, res.text);
    assert.match(res.json.error_description, description);
  };
  await bad({ raw: '{"type": ' }, 400, /not valid JSON/);
  await bad({ raw: '' }, 400, /not valid JSON/);
  await bad({ body: { ...service, client_name: 'nul\u0000' } }, 400, /NUL/);
  assert.equal((await call('GET', '/api/clients/%00', ADMIN)).status, 404, 'an id PostgreSQL cannot hold names no client');
  await bad({ body: service, headers: { 'content-type': 'text/plain' } }, 415, /application\/json/);
  await bad({ body: { ...service, client_secret: 'mine' } }, 400, /Unrecognized key\(s\) in object: 'client_secret'/);
  await bad({ body: { ...service, public: 'yes' } }, 400, /public: Expected boolean/);
  await bad({ body: { ...service, type: 'nurse' } }, 400, /type: Invalid enum value/);
  await bad({ body: [service] }, 400, /body: Expected object/);
  await bad({ body: { type: 'smart', client_name: 'x', redirect_uris: ['http://app.example/cb'] } }, 400, /must use https/);
  await bad({ body: { type: 'service', client_name: 'x', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } } }, 400, /private member "k"/);

  const keys = { keys: [{ ...(await exportJWK((await generateKeyPair('RS384')).publicKey)), kid: 'k' }] };
  const keyed = await call('POST', '/api/clients', ADMIN, { body: { type: 'service', client_name: 'keyed', jwks: keys } });
  assert.deepEqual([keyed.status, keyed.json.client_secret, keyed.json.token_endpoint_auth_method], [201, undefined, 'private_key_jwt']);
  const path = `/api/clients/${keyed.json.client_id}`;
  await bad({ body: { type: 'smart' } }, 400, /Unrecognized key/, path, 'PATCH');
  const moved = await call('PATCH', path, ADMIN, { body: { jwks: null, jwks_uri: 'https://svc.example/jwks' } });
  assert.deepEqual([moved.status, moved.json.jwks, moved.json.jwks_uri], [200, undefined, 'https://svc.example/jwks']);
  await bad({ body: { jwks_uri: null } }, 400, /needs its JWK Set/, path, 'PATCH');
  await bad({}, 400, /has no secret/, `${path}/secret`);
});
