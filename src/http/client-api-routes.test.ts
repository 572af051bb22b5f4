import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { createAccessFilterService } from '../access/filter/filter-service.js';
import { createClientRegistry, type ClientRegistry } from '../auth/clients/client-registry.js';
import type { SecurityEvent } from '../auth/security-events.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { createClientStore } from '../storage/auth/client-store.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { fakeTaxonomy, LOINC } from '../../test/support/fake-taxonomy.js';
import { httpClient, type HttpClient, type SendOptions } from '../../test/support/http.js';
import { createHttpApp } from './fastify-app.js';
import { registerClientApiRoutes } from './client-api-routes.js';

let testDb: TestDatabase;
let registry: ClientRegistry;
let app: FastifyInstance;
let http: HttpClient;
const events: SecurityEvent[] = [];

before(async () => {
  testDb = await createTestDatabase();
  await testDb.db.sql`insert into accounts (id, email, roles) values
    ('admin', 'admin@example.org', '{admin}'), ('dev-a', 'a@example.org', '{developer}'), ('dev-b', 'b@example.org', '{developer}'), ('pat', 'p@example.org', '{patient}')`;
  registry = await createClientRegistry({ store: createClientStore(testDb.db.sql), recordEvent: (e) => events.push(e) });
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 * 1024 });
  // A stand-in for the real bearer/session authentication: "Test <account>:<role,role>".
  registerClientApiRoutes(app, {
    registry,
    accessFilters: createAccessFilterService(registry, { taxonomy: fakeTaxonomy, resourceTypes: new Set(['Observation', 'Patient']) }),
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
/** The OperationOutcome issue code and message of a refusal. */
const problem = (res: { json: { issue?: { code: string }[] } }) => res.json.issue?.[0]?.code;
const diagnostics = (res: { json: { issue?: { diagnostics?: string }[] } }) => res.json.issue?.[0]?.diagnostics ?? '';

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
  assert.deepEqual([again.status, problem(again)], [400, 'invalid']);
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
    assert.deepEqual([res.status, problem(res)], [404, 'not-found'], `${method} ${path}`);
  }
  assert.equal((await registry.find(theirs))?.revoked, false);
  assert.equal((await call('DELETE', `/api/clients/${theirs}`, ADMIN)).json.revoked, true);
  assert.equal((await call('GET', '/api/clients/nope', ADMIN)).status, 404);

  const stolen = await call('POST', '/api/clients', DEV_A, { body: { ...service, owner_account: 'dev-b' } });
  assert.deepEqual([stolen.status, problem(stolen)], [403, 'forbidden']);
  const ghost = await call('POST', '/api/clients', ADMIN, { body: { ...service, owner_account: 'ghost' } });
  assert.deepEqual([ghost.status, diagnostics(ghost)], [400, 'There is no account ghost to own the client']);
});

test('401 without a caller, 403 without the developer or admin role', async () => {
  const anonymous = await http('GET', '/api/clients', { headers: { accept: 'application/json' } });
  assert.equal(anonymous.status, 401);
  assert.deepEqual(anonymous.json, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'Sign in first' }] });
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
  const patient = await call('POST', '/api/clients', as('pat:patient'), { body: service });
  assert.deepEqual([patient.status, problem(patient)], [403, 'forbidden']);
});

test('bodies are checked strictly: JSON only, known fields, right types, valid metadata', async () => {
  const bad = async (options: SendOptions, status: number, description: RegExp, path = '/api/clients', method = 'POST') => {
    const res = await call(method, path, ADMIN, options);
    assert.equal(res.status, status, res.text);
    assert.match(diagnostics(res), description);
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

test("a client's access filter: read, saved (version bumped, described, scopes implied), removed", async () => {
  const id = (await call('POST', '/api/clients', DEV_A, { body: { ...service, client_name: 'Filtered' } })).json.client_id as string;
  const initial = await call('GET', `/api/clients/${id}/filter`, DEV_A);
  assert.equal(initial.status, 200, initial.text);
  assert.equal(initial.headers.get('cache-control'), 'no-store');
  assert.deepEqual(initial.json, { client_id: id, filter: null, filter_version: 1, write_mode: 'any', reach: 'consented', description: [], implied_scopes: ['user/*.cruds'] });

  const filter = { owner: 'self', $or: [{ content: 'body/weight', code: `${LOINC} 29463-7` }, { format: 'fhir/Patient', app: ['self', id] }] };
  const saved = await call('PUT', `/api/clients/${id}/filter`, DEV_A, { body: { filter, write_mode: 'create' } });
  assert.equal(saved.status, 200, saved.text);
  assert.deepEqual(saved.json, {
    client_id: id,
    filter,
    filter_version: 2,
    write_mode: 'create',
    reach: 'consented',
    description: [`Body weight records you own, coded ${LOINC} 29463-7`, `Patient records you own, written by this app or app ${id}`],
    implied_scopes: ['user/Observation.crus', 'user/Patient.crus'],
    revoked_grants: 0,
  });
  assert.deepEqual(events.at(-1), {
    kind: 'client-filter-change',
    outcome: 'success',
    clientId: id,
    accountId: 'dev-a',
    detail: { filterVersion: 2, writeMode: 'create', reach: 'consented', revokedGrants: 0 },
  });
  const { revoked_grants: _, ...stored } = saved.json;
  assert.deepEqual((await call('GET', `/api/clients/${id}/filter`, DEV_A)).json, stored);

  const same = await call('PUT', `/api/clients/${id}/filter`, DEV_A, { body: { filter: { $or: filter.$or, owner: 'self' }, write_mode: 'create' } });
  assert.equal(same.json.filter_version, 2, 'saving the same settings again changes nothing');

  const removed = await call('PUT', `/api/clients/${id}/filter`, DEV_A, { body: { filter: null, write_mode: 'none' } });
  assert.deepEqual([removed.json.filter, removed.json.filter_version, removed.json.implied_scopes], [null, 3, ['user/*.rs']]);
});

test('filter routes: developers their own clients only, reach by admins only', async () => {
  const theirs = (await call('POST', '/api/clients', DEV_B, { body: { ...service, client_name: 'B filtered' } })).json.client_id as string;
  const body = { filter: { format: 'fhir/Patient' }, write_mode: 'none' };
  for (const [method, options] of [['GET', {}], ['PUT', { body }]] as const) {
    const res = await call(method, `/api/clients/${theirs}/filter`, DEV_A, options);
    assert.deepEqual([res.status, problem(res)], [404, 'not-found'], method);
  }
  assert.equal((await call('GET', `/api/clients/${theirs}/filter`, as('pat:patient'))).status, 403);
  assert.equal((await http('GET', `/api/clients/${theirs}/filter`, { headers: { accept: 'application/json' } })).status, 401);
  assert.equal((await call('GET', '/api/clients/nope/filter', ADMIN)).status, 404);

  const widen = await call('PUT', `/api/clients/${theirs}/filter`, DEV_B, { body: { ...body, reach: 'all' } });
  assert.deepEqual([widen.status, diagnostics(widen)], [403, 'Only an admin may change the reach of a client']);
  assert.equal((await call('PUT', `/api/clients/${theirs}/filter`, DEV_B, { body: { ...body, reach: 'consented' } })).status, 200, 'the current reach may be sent back');
  const byAdmin = await call('PUT', `/api/clients/${theirs}/filter`, ADMIN, { body: { ...body, reach: 'all' } });
  assert.deepEqual([byAdmin.status, byAdmin.json.reach], [200, 'all']);
  assert.equal((await call('PUT', `/api/clients/${theirs}/filter`, DEV_B, { body })).json.reach, 'all', 'absent: unchanged');
});

test('filter bodies: bad JSON, wrong types and invalid filters are 400 naming the problem', async () => {
  const id = (await call('POST', '/api/clients', ADMIN, { body: service })).json.client_id as string;
  const bad = async (options: SendOptions, description: string) => {
    const res = await call('PUT', `/api/clients/${id}/filter`, ADMIN, options);
    assert.deepEqual([res.status, problem(res), diagnostics(res)], [400, 'invalid', description], res.text);
  };
  await bad({ raw: '{"filter": ' }, 'The body is not valid JSON');
  await bad({ body: { write_mode: 'none' } }, 'filter: Required');
  await bad({ body: { filter: [], write_mode: 'none' } }, 'filter: Expected object, received array');
  await bad({ body: { filter: {}, write_mode: 'sometimes' } }, "write_mode: Invalid enum value. Expected 'none' | 'update' | 'create' | 'any', received 'sometimes'");
  await bad({ body: { filter: {}, write_mode: 'none', writeMode: 'none' } }, "body: Unrecognized key(s) in object: 'writeMode'");
  await bad({ body: { filter: { $or: [{}, { group: 'fitnes' }] }, write_mode: 'none' } }, '$or[1].group: unknown group "fitnes" in group system v1');
  await bad({ body: { filter: { 'created-after': '2024-02-30' }, write_mode: 'none' } }, 'created-after: "2024-02-30" is not an ISO 8601 date (2024-01-31), date-time with zone (2024-01-31T08:00:00Z) or epoch milliseconds');
  await bad({ body: { filter: { app: ['self', 'ghost-app'] }, write_mode: 'none' } }, 'app: there is no client "ghost-app"');
  assert.equal((await call('GET', `/api/clients/${id}/filter`, ADMIN)).json.filter_version, 1, 'nothing was saved');
});

test('checking a filter validates it as saving would, describes it, says whether it changes anything, and saves nothing', async () => {
  const id = (await call('POST', '/api/clients', DEV_A, { body: { ...service, client_name: 'Checked' } })).json.client_id as string;
  const check = (body: unknown, headers = DEV_A) => call('POST', `/api/clients/${id}/filter/check`, headers, { body });
  const ok = await check({ filter: { owner: 'self', content: 'body/weight' }, write_mode: 'none' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  assert.deepEqual(ok.json, {
    client_id: id,
    filter: { owner: 'self', content: 'body/weight' },
    write_mode: 'none',
    reach: 'consented',
    description: ['Body weight records you own'],
    implied_scopes: ['user/Observation.rs'],
    changed: true,
  });
  assert.equal((await call('GET', `/api/clients/${id}/filter`, DEV_A)).json.filter_version, 1, 'nothing was saved');

  // The expert editor sends its text as typed: the JSON parser's own words say where it goes wrong.
  const typo = await check({ filter_text: '{"content": "body/weight",}' });
  assert.equal(typo.status, 400);
  assert.match(diagnostics(typo), /^filter: not valid JSON: .*position 26/);
  const unknown = await check({ filter_text: '{"content": "body/wieght"}' });
  assert.deepEqual([unknown.status, diagnostics(unknown)], [400, 'content: unknown content "body/wieght"']);
  assert.deepEqual([(await check({ filter_text: 'null' })).json.description, (await check({ filter_text: 'null' })).json.implied_scopes], [[], ['user/*.cruds']]);
  const both = await check({ filter: {}, filter_text: '{}' });
  assert.deepEqual([both.status, diagnostics(both)], [400, 'body: give filter or filter_text (one of them)']);
  assert.equal((await check({ filter: { app: 'ghost-app' } })).status, 400, 'app ids are checked as on save');

  await call('PUT', `/api/clients/${id}/filter`, DEV_A, { body: { filter: { owner: 'self', content: 'body/weight' }, write_mode: 'none' } });
  assert.equal((await check({ filter_text: '{ "content": "body/weight", "owner": "self" }' })).json.changed, false, 'key order and spacing are no change');
  assert.equal((await check({ filter: { content: 'body/weight', owner: 'self' }, write_mode: 'any' })).json.changed, true, 'another write mode is');

  const widen = await check({ filter: {}, reach: 'all' });
  assert.deepEqual([widen.status, diagnostics(widen)], [403, 'Only an admin may change the reach of a client']);
  assert.equal((await check({ filter: {}, reach: 'all' }, ADMIN)).json.reach, 'all');
  assert.equal((await check({ filter: {} }, DEV_B)).status, 404, "another developer's client");
  assert.equal((await check({ filter: {} }, as('pat:patient'))).status, 403);
});
