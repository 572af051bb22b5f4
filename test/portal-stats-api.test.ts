import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

/**
 * The statistics API and the debugger API over a running server: requests of an application,
 * made with its own token, counted per day with their errors; only its owner developer and
 * admins see them (another developer's client is missing: 404); the debugger runs a request as
 * the application through the real FHIR path.
 */
let server: TestServer;
const file = { get server() { return server; } };
const cookies: Record<string, string> = {};
let service: { id: string; secret: string };
let narrow: string;

before(async () => {
  server = await startTestServer();
  const { accounts, clients, sessions } = file.server.fhirkeep.auth;
  for (const [name, roles] of [
    ['owner', ['developer']],
    ['other', ['developer']],
    ['admin', ['admin']],
    ['patient', ['patient']],
  ] as const) {
    const account = await accounts.create({ email: `${name}@example.org`, password: 'a long test password', roles: [...roles], ...(name === 'patient' ? { patientId: 'p1' } : {}) });
    cookies[name] = (await sessions.start(account.id, undefined)).split(';')[0] ?? '';
  }
  const owner = (await accounts.findByEmail('owner@example.org'))?.id;
  const made = await clients.register({ type: 'service', name: 'Nightly sync', scopes: ['system/*.rs'], ownerAccount: owner });
  service = { id: made.client.id, secret: made.secret ?? '' };
  narrow = (await clients.register({ type: 'service', name: 'Observations only', scopes: ['system/Observation.rs'], ownerAccount: owner })).client.id;
});

after(() => server.close());

async function api(who: string | undefined, method: string, path: string, body?: unknown) {
  const res = await fetch(`${file.server.baseUrl}${path}`, {
    method,
    headers: { ...(who === undefined ? {} : { cookie: cookies[who] ?? '' }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  // Tests read arbitrary members of the answers.
  return { status: res.status, headers: res.headers, text, json: (text === '' ? undefined : JSON.parse(text)) as any };
}

async function serviceToken(): Promise<string> {
  const res = await fetch(`${file.server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${service.id}:${service.secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

const today = () => new Date().toISOString().slice(0, 10);

test("an application's own requests are counted per day, with errors by status and the latest errors", async () => {
  const token = await serviceToken();
  const get = (path: string) => fetch(`${file.server.fhirBase}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await get('/Patient')).status, 200);
  assert.equal((await get('/Observation?code=1234-5')).status, 200);
  assert.equal((await get('/NoSuchType')).status, 404);
  assert.equal((await get('/Patient?birthdate=not-a-date')).status, 400);
  assert.equal((await fetch(`${file.server.fhirBase}/Patient`)).status, 401, 'no credential: counted for nobody');
  await fetch(`${file.server.fhirBase}/Patient`, { headers: { authorization: 'Bearer not-a-token' } });

  const res = await api('owner', 'GET', `/api/clients/${service.id}/statistics?days=7`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.json.client_id, service.id);
  assert.equal(res.json.days.length, 7);
  const day = res.json.days[6];
  assert.equal(day.day, today());
  assert.deepEqual([day.requests, day.errors, day.statuses], [4, 2, { 400: 1, 404: 1 }]);
  assert.ok(day.latency_ms.p50 > 0 && day.latency_ms.p95 >= day.latency_ms.p50 && day.latency_ms.p99 >= day.latency_ms.p95, JSON.stringify(day.latency_ms));
  assert.deepEqual(res.json.days[0].latency_ms, { p50: null, p95: null, p99: null }, 'a day without requests');
  const [newest, older] = res.json.latest_errors;
  assert.deepEqual([newest.method, newest.path, newest.status], ['GET', '/fhir/Patient?birthdate=…', 400], 'the query keeps its parameter names, not values');
  assert.deepEqual([older.path, older.status], ['/fhir/NoSuchType', 404]);
  assert.match(older.diagnostics, /NoSuchType/);
  assert.doesNotMatch(res.text, /Bearer|eyJ/, 'no token anywhere');
});

test('Bulk Data status requests count too', async () => {
  const token = await serviceToken();
  const before = (await api('owner', 'GET', `/api/clients/${service.id}/statistics?days=1`)).json.days[0].requests;
  const kickOff = await fetch(`${file.server.fhirBase}/$export?_type=Patient`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json', prefer: 'respond-async' } });
  assert.equal(kickOff.status, 202, await kickOff.text());
  const status = await fetch(kickOff.headers.get('content-location') ?? '', { headers: { authorization: `Bearer ${token}` } });
  assert.ok([200, 202].includes(status.status), String(status.status));
  const unknown = await fetch(`${file.server.fhirBase}/bulk-status/00000000-0000-0000-0000-000000000000`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(unknown.status, 404);
  const after = (await api('owner', 'GET', `/api/clients/${service.id}/statistics?days=1`)).json;
  assert.equal(after.days[0].requests, before + 3);
  assert.equal(after.latest_errors[0].path, '/fhir/bulk-status/00000000-0000-0000-0000-000000000000');
});

test('statistics: the owner and admins see them; another developer gets 404, a patient 403, nobody 401', async () => {
  assert.equal((await api('admin', 'GET', `/api/clients/${service.id}/statistics`)).status, 200);
  const other = await api('other', 'GET', `/api/clients/${service.id}/statistics`);
  assert.equal(other.status, 404);
  assert.equal(other.json.resourceType, 'OperationOutcome');
  assert.equal((await api('owner', 'GET', '/api/clients/no-such-client/statistics')).status, 404);
  assert.equal((await api('patient', 'GET', `/api/clients/${service.id}/statistics`)).status, 403);
  assert.equal((await api(undefined, 'GET', `/api/clients/${service.id}/statistics`)).status, 401);
  for (const days of ['0', '367', 'x', '1.5']) assert.equal((await api('owner', 'GET', `/api/clients/${service.id}/statistics?days=${days}`)).status, 400, days);
  assert.equal((await api('owner', 'GET', `/api/clients/${service.id}/statistics`)).json.days.length, 30, 'thirty days by default');
});

test('the debugger runs a request as the application, through the FHIR API, and it counts in its statistics', async () => {
  const before = (await api('owner', 'GET', `/api/clients/${service.id}/statistics?days=1`)).json.days[0];
  const ok = await api('owner', 'POST', `/api/clients/${service.id}/debug-request`, { method: 'GET', path: '/fhir/Patient?_count=5', headers: { Prefer: 'handling=strict' } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.status, 200);
  assert.match(ok.json.headers['content-type'], /application\/fhir\+json/);
  assert.equal(JSON.parse(ok.json.body).resourceType, 'Bundle');
  assert.equal(ok.json.truncated, false);
  const missing = await api('admin', 'POST', `/api/clients/${service.id}/debug-request`, { method: 'get', path: '/fhir/NoSuchType' });
  assert.equal(missing.json.status, 404);
  assert.equal(JSON.parse(missing.json.body).resourceType, 'OperationOutcome');
  const after = (await api('owner', 'GET', `/api/clients/${service.id}/statistics?days=1`)).json;
  assert.equal(after.days[0].requests, before.requests + 2);
  assert.equal(after.latest_errors[0].path, '/fhir/NoSuchType');

  // Security events reach the table through the audit queue: write what it holds first.
  await file.server.fhirkeep.audit.flush();
  const events = await recentSecurityEvents(file.server.fhirkeep.database.sql, 20);
  const issued = events.find((e) => e.kind === 'token-issue' && e.detail?.grant_type === 'portal-debugger');
  assert.equal(issued?.clientId, service.id);
  assert.ok(issued?.accountId, 'the developer who ran it is recorded');
});

test("the debugger's token carries the registered scopes only: the access engine refuses what they do not cover", async () => {
  const res = await api('owner', 'POST', `/api/clients/${narrow}/debug-request`, { method: 'GET', path: '/fhir/Patient' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 403, res.json.body);
  assert.match(JSON.parse(res.json.body).issue[0].diagnostics, /scope/i, res.json.body);
  const allowed = await api('owner', 'POST', `/api/clients/${narrow}/debug-request`, { method: 'GET', path: '/fhir/Observation' });
  assert.equal(allowed.json.status, 200, allowed.json.body);
});

test('the debugger refuses a credential of its own, other paths, big bodies, and callers outside the client', async () => {
  const run = (who: string, input: Record<string, unknown>, id = service.id) => api(who, 'POST', `/api/clients/${id}/debug-request`, { method: 'GET', path: '/fhir/Patient', ...input });
  const refused = async (input: Record<string, unknown>, status: number, message: RegExp) => {
    const res = await run('owner', input);
    assert.equal(res.status, status, `${JSON.stringify(input)}: ${res.text}`);
    assert.match(res.json.issue[0].diagnostics, message);
  };
  await refused({ headers: { Authorization: 'Bearer abc' } }, 400, /application's own credential/);
  await refused({ headers: { 'X-Auth-Token': 'abc' } }, 400, /own credential/);
  await refused({ headers: { Host: 'evil.example' } }, 400, /sets it itself/);
  await refused({ headers: { 'Bad Name': 'x' } }, 400, /not a header name/);
  await refused({ path: '/api/clients' }, 400, /FHIR API only/);
  await refused({ path: '/fhir/../api/clients' }, 400, /FHIR API only/);
  await refused({ path: '/fhir/%2e%2e/api/clients' }, 400, /FHIR API only/);
  await refused({ path: 'http://evil.example/fhir/Patient' }, 400, /starts with \/fhir/);
  await refused({ path: '//evil.example/fhir' }, 400, /starts with \/fhir/);
  await refused({ method: 'TRACE' }, 400, /method/);
  await refused({ body: '{}' }, 400, /GET request has no body/);
  await refused({ method: 'POST', path: '/fhir/Patient', body: 'x'.repeat(64 * 1024 + 1) }, 413, /64 KiB/);
  await refused({ organization: 'org-1' }, 400, /Only a data broker/);
  await refused({ extra: true }, 400, /extra/);

  assert.equal((await run('other', {})).status, 404, "another developer's client");
  assert.equal((await run('other', { path: '/api/clients' })).status, 404, 'missing, whatever the input');
  assert.equal((await run('patient', {})).status, 403);
  assert.equal((await api(undefined, 'POST', `/api/clients/${service.id}/debug-request`, { method: 'GET', path: '/fhir/Patient' })).status, 401);
  const form = await fetch(`${file.server.baseUrl}/api/clients/${service.id}/debug-request`, {
    method: 'POST',
    headers: { cookie: cookies.owner ?? '', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'method=GET&path=/fhir/Patient',
  });
  assert.equal(form.status, 415, 'a cross-site form cannot post JSON');
});

test('a write through the debugger is the application’s write: POST creates with its write mode', async () => {
  const res = await api('owner', 'POST', `/api/clients/${service.id}/debug-request`, {
    method: 'POST',
    path: '/fhir/Patient',
    headers: { Prefer: 'return=representation' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Debug' }] }),
  });
  assert.equal(res.status, 200, res.text);
  // Registered for system/*.rs (read and search only): the access engine refuses the write.
  assert.equal(res.json.status, 403, res.json.body);
  assert.match(JSON.parse(res.json.body).issue[0].diagnostics, /scope/i, res.json.body);
});
