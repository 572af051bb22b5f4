import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { httpClient, type HttpClient, type HttpResult, type SendOptions } from '../../test/support/http.js';
import { createConsentService } from '../access/consents/consent-service.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { validateResource } from '../fhir/validator.js';
import { createConsentStore } from '../storage/access/consent-store.js';
import { createGrantStore } from '../storage/auth/grant-store.js';
import { registerConsentApiRoutes } from './consent-api-routes.js';
import { createHttpApp } from './fastify-app.js';

let testDb: TestDatabase;
let app: FastifyInstance;
let http: HttpClient;

before(async () => {
  testDb = await createTestDatabase();
  const { sql } = testDb.db;
  await sql`insert into accounts (id, email, roles, patient_id) values ('ann', 'ann@example.org', '{patient}', 'pa'), ('bob', 'bob@example.org', '{patient}', 'pb'),
              ('mgr', 'mgr@example.org', '{practitioner}', null), ('root', 'root@example.org', '{admin}', null)`;
  await sql`insert into organizations (id, name) values ('clinic', 'Clinic'), ('other', 'Other')`;
  await sql`insert into clients (id, type, name, public) values ('app', 'smart', 'App', true), ('svc', 'service', 'Service', false), ('brk', 'broker', 'Broker', false)`;
  const grants = createGrantStore(sql);
  const consents = createConsentService({ store: createConsentStore(sql), revokeGrants: (a, c) => grants.revokeGrantsOf(a, c), record: () => {} });
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 * 1024 });
  // A stand-in for the session authentication: "Test <account>[:admin][:managed org,org]".
  registerConsentApiRoutes(app, {
    consents,
    async authenticate(request) {
      const match = /^Test ([\w-]+)(:admin)?(?::([\w,]+))?$/.exec(request.headers.authorization ?? '');
      if (match === null) throw new FhirkeepError('unauthorized', 'Sign in first');
      return { accountId: match[1] ?? '', admin: match[2] !== undefined, managedOrganizations: match[3]?.split(',') ?? [] };
    },
  });
  http = httpClient(await app.listen({ port: 0, host: '127.0.0.1' }));
});
after(async () => {
  await app.close();
  await testDb.drop();
});

const ANN = 'ann';
const BOB = 'bob';
const MANAGER = 'mgr:clinic';
const ADMIN = 'root:admin';
const call = (who: string | undefined, method: string, path: string, options: SendOptions = {}) =>
  http(method, path, { ...options, headers: { ...(who === undefined ? {} : { authorization: `Test ${who}` }), 'content-type': 'application/json', accept: 'application/json', ...options.headers } });

function assertOutcome(res: HttpResult, status: number, pattern: RegExp, field?: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.resourceType, 'OperationOutcome', res.text);
  assert.match(res.json.issue.map((i: { diagnostics: string }) => i.diagnostics).join('\n'), pattern);
  if (field !== undefined) assert.ok(res.json.issue.some((i: { expression?: string[] }) => i.expression?.includes(field)), res.text);
}

test('a holder grants, reads, lists and revokes their own consents', async () => {
  const created = await call(ANN, 'POST', '/api/consents', { body: { client: 'app', scope: 'openid patient/*.rs' } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.headers.get('cache-control'), 'no-store');
  assert.equal(created.headers.get('location'), `/api/consents/${created.json.id}`);
  assert.deepEqual(
    [created.json.kind, created.json.status, created.json.sharing, created.json.account, created.json.patient, created.json.filter_version, created.json.scope],
    ['app', 'active', true, 'ann', 'pa', 1, 'openid patient/*.rs'],
  );
  const subscription = await call(ANN, 'POST', '/api/consents', { body: { client: 'svc' } });
  assert.equal(subscription.json.kind, 'service', 'a service-type client means a subscription');
  assert.equal((await call(ANN, 'POST', '/api/consents', { body: { organization: 'clinic' } })).json.kind, 'organization');

  const resource = await call(ANN, 'GET', `/api/consents/${created.json.id}`);
  assert.equal(resource.status, 200);
  assert.match(resource.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  assert.equal(resource.json.resourceType, 'Consent');
  assert.ok(validateResource(resource.json).ok);

  const mine = await call(ANN, 'GET', '/api/consents');
  assert.equal(mine.json.consents.length, 3);
  assert.deepEqual((await call(ANN, 'GET', '/api/consents?client=svc')).json.consents.map((c: { kind: string }) => c.kind), ['service']);

  const revoked = await call(ANN, 'PUT', `/api/consents/${created.json.id}`, { body: { status: 'inactive' } });
  assert.deepEqual([revoked.status, revoked.json.status, revoked.json.sharing], [200, 'inactive', false]);
  assertOutcome(await call(ANN, 'PUT', `/api/consents/${created.json.id}`, { body: { status: 'proposed' } }), 409, /inactive cannot become proposed/);
});

test('others’ consents are missing to a holder; managers see and grant their organization’s; admins see all', async () => {
  const anns = (await call(ANN, 'GET', '/api/consents')).json.consents as { id: string; kind: string }[];
  const annsApp = anns.find((c) => c.kind === 'app')?.id ?? '';
  assertOutcome(await call(BOB, 'GET', `/api/consents/${annsApp}`), 404, /no consent/);
  assertOutcome(await call(BOB, 'PUT', `/api/consents/${annsApp}`, { body: { status: 'active' } }), 404, /no consent/);
  assert.deepEqual((await call(BOB, 'GET', '/api/consents?account=ann')).json.consents, [], 'a filter does not widen what one sees');
  assertOutcome(await call(BOB, 'POST', '/api/consents', { body: { account: 'ann', client: 'app' } }), 403, /their own account only/);
  assertOutcome(await call(BOB, 'POST', '/api/consents', { body: { organization: 'clinic', client: 'brk' } }), 403, /manager of the organization/);

  const broker = await call(MANAGER, 'POST', '/api/consents', { body: { organization: 'clinic', client: 'brk', status: 'proposed' } });
  assert.deepEqual([broker.status, broker.json.kind, broker.json.status], [201, 'broker', 'proposed']);
  assertOutcome(await call(MANAGER, 'POST', '/api/consents', { body: { organization: 'other', client: 'brk' } }), 403, /manager/);
  const seen = (await call(MANAGER, 'GET', '/api/consents')).json.consents as { organization?: string; kind: string }[];
  assert.deepEqual(new Set(seen.map((c) => c.kind)), new Set(['organization', 'broker']), 'ann’s sharing with the clinic and the clinic’s broker consent');
  assert.ok(seen.every((c) => c.organization === 'clinic'));
  assert.equal((await call(MANAGER, 'PUT', `/api/consents/${broker.json.id}`, { body: { status: 'active' } })).json.status, 'active');
  // Ann's share with the clinic is hers: the clinic may stop receiving it, never revive it.
  const annsShare = (seen as { id?: string; kind: string }[]).find((c) => c.kind === 'organization')?.id ?? '';
  assert.equal((await call(MANAGER, 'PUT', `/api/consents/${annsShare}`, { body: { status: 'inactive' } })).json.status, 'inactive');
  assertOutcome(await call(MANAGER, 'PUT', `/api/consents/${annsShare}`, { body: { status: 'active' } }), 403, /Only the account holder/);
  assert.equal((await call(ANN, 'PUT', `/api/consents/${annsShare}`, { body: { status: 'active' } })).json.status, 'active', 'Ann may');

  const all = (await call(ADMIN, 'GET', '/api/consents')).json.consents as unknown[];
  assert.equal(all.length, 4);
  assert.equal((await call(ADMIN, 'GET', '/api/consents?organization=clinic&client=brk')).json.consents.length, 1);
  const forBob = await call(ADMIN, 'POST', '/api/consents', { body: { account: 'bob', organization: 'clinic' } });
  assert.deepEqual([forBob.status, forBob.json.account], [201, 'bob']);
});

test('bad input is a 400 OperationOutcome naming the field; unknown ids 404; no session 401; never a 5xx', async () => {
  assertOutcome(await call(undefined, 'GET', '/api/consents'), 401, /Sign in/);
  assertOutcome(await call(ANN, 'POST', '/api/consents', { body: { client: 'app', colour: 'red' } }), 400, /Unrecognized key/);
  assertOutcome(await call(ANN, 'POST', '/api/consents', { body: { kind: 'friendship', client: 'app' } }), 400, /kind:/, 'kind');
  assertOutcome(await call(ANN, 'POST', '/api/consents', { body: { client: 42 } }), 400, /client:/, 'client');
  assertOutcome(await call(ANN, 'POST', '/api/consents', { body: { client: 'nobody' } }), 400, /no client nobody/, 'client');
  assertOutcome(await call(ANN, 'POST', '/api/consents', { body: { client: 'app', status: 'inactive' } }), 400, /status:/, 'status');
  assertOutcome(await call(ANN, 'POST', '/api/consents', { body: { client: 'app', scope: 'a\\b"' } }), 400, /scope:/, 'scope');
  assertOutcome(await call(ANN, 'POST', '/api/consents', { raw: '{"client":' }), 400, /not valid JSON/);
  assertOutcome(await call(ANN, 'POST', '/api/consents', { raw: '{"client":"a\\u0000"}' }), 400, /NUL/);
  assertOutcome(await call(ANN, 'POST', '/api/consents', { body: { client: 'app' }, headers: { 'content-type': 'text/plain' } }), 415, /application\/json/);
  assertOutcome(await call('mgr', 'POST', '/api/consents', { body: { client: 'svc' } }), 422, /no linked Patient/, 'account');
  assertOutcome(await call(ANN, 'GET', '/api/consents?colour=red'), 400, /Unrecognized key/);
  assertOutcome(await call(ANN, 'GET', '/api/consents?client=a&client=b'), 400, /client:/, 'client');
  assert.deepEqual((await call(ANN, 'GET', '/api/consents?client=%00')).json.consents, []);
  const some = (await call(ANN, 'GET', '/api/consents')).json.consents[0].id as string;
  assertOutcome(await call(ANN, 'PUT', `/api/consents/${some}`, { body: { status: 'gone' } }), 400, /status:/, 'status');
  assertOutcome(await call(ANN, 'PUT', `/api/consents/${some}`, { body: {} }), 400, /status:/, 'status');
  for (const missing of [randomUUID(), 'not-a-uuid', '%00', 'x'.repeat(3000)]) {
    // An id longer than Fastify's parameter limit matches no route: still a 404 OperationOutcome.
    assertOutcome(await call(ANN, 'GET', `/api/consents/${missing}`), 404, /no consent|Nothing at/);
  }
  assertOutcome(await call(ANN, 'PUT', `/api/consents/${randomUUID()}`, { body: { status: 'active' } }), 404, /no consent/);
});
