/**
 * What a running server logs (docs/observability.md): every line of a realistic session, at the
 * most talkative level, captured, and searched for each secret the session used — passwords,
 * client secrets, access and refresh tokens, authorization codes and PKCE verifiers, API keys,
 * session and CSRF cookies, one-time reveal keys, an HIE organization's token, a token in a URL
 * path — and for a resource body. None may appear; every request line carries a request id.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { inputValue, TestBrowser } from './support/browser.js';
import { startNode, type TestNode } from './support/fhirkeep-server.js';
import { hieOrganization } from './support/hie.js';
import { institutionToken } from './support/institution.js';
import { APP_REDIRECT, signIn } from './support/sign-in.js';

const lines: string[] = [];
let database: TestDatabase;
let node: TestNode;
/** Every secret the session below uses or is given; none may reach the log. */
const secrets = new Map<string, string>();
const keep = (what: string, value: string | undefined | null) => {
  assert.ok(value !== undefined && value !== null && value.length >= 8, `${what} is known to the test`);
  secrets.set(what, value);
  return value;
};
/** In the body of a create: the log must never hold a resource. */
const BODY_MARKER = `Bodymarker${crypto.randomUUID().replaceAll('-', '')}`;
const PASSWORD = 'correct horse battery staple';
/** The request ids the server answered with (X-Request-Id), and each one's path. */
const answered = new Map<string, string>();

async function call(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const id = res.headers.get('x-request-id');
  assert.ok(id !== null, `${url} answered without X-Request-Id`);
  answered.set(id, new URL(url).pathname);
  return res;
}

before(async () => {
  database = await createTestDatabase();
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  node = await startNode(database.url, { FHIRKEEP_LOG_LEVEL: 'trace', FHIRKEEP_EXPORT_POLL_SECONDS: '1' }, { logger });
});
after(async () => {
  await node?.close();
  await database?.drop();
});

test('a realistic session: sign-ins, tokens, a create, an API key, a bulk export, failures', async () => {
  const { fhirkeep, baseUrl } = node;
  const fhirBase = `${baseUrl}/fhir`;
  const { accounts, clients, accessFilters, serviceKeys } = fhirkeep.auth;
  keep('password', PASSWORD);
  await accounts.create({ email: 'dev@example.org', password: PASSWORD, roles: ['developer'] });
  await accounts.create({ email: 'pat@example.org', password: PASSWORD, roles: ['patient'], patientId: 'log-pat' });
  const seed = keep('institution token', await institutionToken(fhirkeep));
  assert.equal((await call(`${fhirBase}/Patient/log-pat`, { method: 'PUT', headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id: 'log-pat' }) })).status, 201);

  // The portal: a developer signs in with a password and registers a service, whose secret a one-time link reveals.
  const dev = new TestBrowser(baseUrl);
  const csrf = keep('CSRF token', inputValue((await dev.get('/portal/sign-in')).text, 'csrf'));
  const signedIn = await dev.post('/portal/sign-in', { email: 'dev@example.org', password: PASSWORD, next: '/portal/apps/new', csrf });
  assert.equal(signedIn.status, 303);
  for (const [name, value] of dev.jar) keep(`cookie ${name}`, value);
  const registered = await dev.post('/portal/apps/new', { csrf, type: 'service', client_name: 'Log feed', redirect_uris: '', jwks: '', jwks_uri: '', scope: 'system/*.cruds' });
  assert.equal(registered.status, 303);
  const revealUrl = new URL(registered.location ?? '', baseUrl);
  keep('reveal key', revealUrl.searchParams.get('reveal'));
  for (const [name, value] of dev.jar) keep(`cookie ${name}`, value);
  const revealed = await dev.get(`${revealUrl.pathname}${revealUrl.search}`);
  const clientSecret = keep('client secret', /<code id="revealed-value">([^<]+)<\/code>/.exec(revealed.text)?.[1]);
  const clientId = /\/portal\/apps\/([^/?]+)/.exec(revealUrl.pathname)?.[1] ?? '';
  await accessFilters.setAccessFilter(clientId, { filter: null, reach: 'all' });

  // Client credentials, with the secret in the Authorization header and in the form body.
  const tokenRequest = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(`${baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });
  const basic = await tokenRequest({ grant_type: 'client_credentials', scope: 'system/Patient.cruds' }, { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` });
  const accessToken = keep('access token (basic)', ((await basic.json()) as { access_token: string }).access_token);
  const post = await tokenRequest({ grant_type: 'client_credentials', scope: 'system/Patient.rs', client_id: clientId, client_secret: clientSecret });
  keep('access token (post)', ((await post.json()) as { access_token: string }).access_token);
  const wrongSecret = keep('a wrong client secret', `${clientSecret.slice(0, -4)}zzzz`);
  assert.equal((await tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: wrongSecret })).status, 401);

  // A FHIR create whose body must not be logged, read back, and exported.
  const created = await call(`${fhirBase}/Patient`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: BODY_MARKER }] }),
  });
  assert.equal(created.status, 201);
  const location = created.headers.get('location') ?? '';
  assert.ok((await (await call(location, { headers: { authorization: `Bearer ${accessToken}` } })).text()).includes(BODY_MARKER));

  // An API key as a bearer credential.
  const { secret: apiKey } = await serviceKeys.create(clientId, { type: 'static' }, { accountId: undefined, admin: true });
  keep('API key', apiKey);
  assert.equal((await call(`${fhirBase}/Patient?family=${BODY_MARKER}`, { headers: { authorization: `Bearer ${apiKey ?? ''}` } })).status, 200);

  // Bulk export: kick-off, polls until the manifest, one file downloaded.
  const kickOff = await call(`${fhirBase}/Patient/$export?_type=Patient`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/fhir+json', prefer: 'respond-async' } });
  assert.equal(kickOff.status, 202, await kickOff.text());
  const statusUrl = kickOff.headers.get('content-location') ?? '';
  let manifest: { output: { url: string }[] } | undefined;
  for (let i = 0; i < 60 && manifest === undefined; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const polled = await call(statusUrl, { headers: { authorization: `Bearer ${accessToken}` } });
    if (polled.status === 200) manifest = (await polled.json()) as { output: { url: string }[] };
    else await polled.text();
  }
  assert.ok(manifest !== undefined, 'the export finished');
  const file = await call(manifest.output[0]?.url ?? '', { headers: { authorization: `Bearer ${accessToken}` } });
  assert.ok((await file.text()).includes(BODY_MARKER), 'the file holds the created body');

  // A patient's authorization-code flow through openid-client: code, state, PKCE verifier, tokens.
  const app = await clients.register({ type: 'smart', name: 'Log app', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'patient/*.rs'] });
  const tokens = await signIn(baseUrl, app.client.id, { email: 'pat@example.org', password: PASSWORD }, 'openid fhirUser launch/patient offline_access patient/Patient.rs');
  keep('patient access token', tokens.access_token);
  const refreshToken = keep('refresh token', tokens.refresh_token);
  const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app.client.id });
  assert.equal(refreshed.status, 200);
  keep('refreshed access token', ((await refreshed.json()) as { access_token: string }).access_token);

  // Failures: a wrong password at the portal, at the HIE dialect (with the organization's token), a token in a path.
  const stranger = new TestBrowser(baseUrl);
  const strangerCsrf = inputValue((await stranger.get('/portal/sign-in')).text, 'csrf') ?? '';
  const wrongPassword = keep('a wrong password', 'not the password, but close');
  assert.equal((await stranger.post('/portal/sign-in', { email: 'pat@example.org', password: wrongPassword, next: '/portal', csrf: strangerCsrf })).status, 401);
  const org = await hieOrganization(fhirkeep, 'Log clinic');
  keep('HIE organization token', org.token);
  const hieHeaders = { client_id: org.clientId, 'x-auth-token': org.token };
  const hieSignIn = await call(`${baseUrl}/api/1.0/sso/signin`, { method: 'POST', headers: hieHeaders, body: new URLSearchParams({ email: 'pat@example.org', password: wrongPassword }) });
  assert.equal(hieSignIn.status, 404);
  const sessionToken = keep('HIE session token in a path', 'A'.repeat(20) + crypto.randomUUID().replaceAll('-', ''));
  assert.equal((await call(`${baseUrl}/api/1.0/sso/token/${sessionToken}?verbose=1`, { headers: hieHeaders })).status, 401);
  assert.equal((await call(`${baseUrl}/api/1.0/sso/token/${sessionToken}`, { method: 'DELETE', headers: hieHeaders })).status, 404, 'no such route: still no token in the log');
  // The authorization endpoint with its parameters in the query: the state is a client's secret.
  const state = keep('state', `state-${crypto.randomUUID()}`);
  await call(`${baseUrl}/oauth2/authorize?response_type=code&client_id=${app.client.id}&redirect_uri=${encodeURIComponent(APP_REDIRECT)}&scope=openid&state=${state}&code_challenge=${'c'.repeat(43)}&code_challenge_method=S256&aud=${encodeURIComponent(fhirBase)}`, { redirect: 'manual' });
  // An unhandled path with a token in its query, and a malformed URL.
  const queryToken = keep('token in a query', `qt${crypto.randomUUID()}`);
  assert.equal((await call(`${baseUrl}/nowhere?access_token=${queryToken}&code=${queryToken}`)).status, 404);
  assert.equal((await call(`${fhirBase}/Patient/%E0%A4%A?access_token=${queryToken}`)).status, 400);
});

test('the log holds none of those secrets, no resource body, and every request line its request id', () => {
  const text = lines.join('');
  if (process.env.DUMP_LOG) console.log(text);
  assert.ok(lines.length > answered.size, `the session was logged (${lines.length} lines)`);
  for (const [what, value] of secrets) assert.ok(!text.includes(value), `the log holds the ${what}`);
  assert.ok(!text.includes(BODY_MARKER), 'the log holds a resource body');
  assert.ok(!/password/i.test(text.replace(/"msg":"[^"]*"/g, '')), 'no field named or holding a password');

  const entries = lines.map((l) => JSON.parse(l) as { msg?: string; reqId?: unknown; path?: string; status?: number });
  const requests = entries.filter((e) => e.msg === 'request');
  assert.ok(requests.length >= answered.size, `one request line per request (${requests.length} lines, ${answered.size} requests made here)`);
  for (const r of requests) assert.equal(typeof r.reqId, 'string', `a request line without reqId: ${JSON.stringify(r)}`);
  assert.equal(new Set(requests.map((r) => r.reqId)).size, requests.length, 'each request its own id');
  const logged = new Map(requests.map((r) => [r.reqId as string, r.path]));
  for (const [id, path] of answered) {
    assert.ok(logged.has(id), `the X-Request-Id ${id} of ${path.slice(0, 40)} names a request line`);
  }
  assert.ok(requests.some((r) => r.path === '/api/1.0/sso/token/{token}'), 'a token in a path is logged as {token}');
  assert.ok(requests.every((r) => !(r.path ?? '').includes('?')), 'no query string is logged');
});

test('a caller’s X-Request-Id is kept when it is a plain id, replaced when it could carry anything else', async () => {
  const id = async (sent: string) => (await fetch(`${node.baseUrl}/healthz`, { headers: { 'x-request-id': sent } })).headers.get('x-request-id') ?? '';
  assert.equal(await id('trace-4bf92f3577b34da6'), 'trace-4bf92f3577b34da6');
  for (const odd of ['x'.repeat(200), 'has spaces in it', 'Bearer abc.def', 'a"b', '{"json":1}']) {
    const answeredId = await id(odd);
    assert.notEqual(answeredId, odd, odd);
    assert.match(answeredId, /^[0-9a-f-]{36}$/, 'a fresh id instead');
  }
});
