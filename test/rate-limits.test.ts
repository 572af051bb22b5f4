import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { TestBrowser, inputValue } from './support/browser.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { HIE_PASSWORD, hieHeaders, hieOrganization, hieUser } from './support/hie.js';
import { httpClient, type HttpResult } from './support/http.js';
import { institutionToken } from './support/institution.js';
import { APP_REDIRECT } from './support/sign-in.js';

/** Every limit off but the ones a test sets: each scenario starts a server of its own. */
const OFF = {
  FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT: '0',
  FHIRKEEP_RATE_LIMIT_FHIR_PER_IP: '0',
  FHIRKEEP_RATE_LIMIT_TOKEN_PER_CLIENT: '0',
  FHIRKEEP_RATE_LIMIT_TOKEN_PER_IP: '0',
  FHIRKEEP_RATE_LIMIT_LOGIN_PER_IP: '0',
};
const servers: TestServer[] = [];
async function serverWith(settings: Record<string, string>): Promise<TestServer> {
  const server = await startTestServer({ ...OFF, ...settings });
  servers.push(server);
  return server;
}
after(() => Promise.all(servers.map((s) => s.close())));

/**
 * Limits of one or two a minute: a token refills only every 30 or 60 s, far longer than a test
 * takes even on a loaded machine, so what passes is exact. Retry-After counts down from there.
 */
function assertRetryAfter(value: string | null, atMost: number): void {
  assert.match(value ?? '', /^\d+$/);
  assert.ok(Number(value) >= 1 && Number(value) <= atMost, `Retry-After ${value} within 1…${atMost} s`);
}

function assertThrottled(res: HttpResult, retryAfterAtMost: number): void {
  assert.equal(res.status, 429, res.text);
  assert.equal(res.json.resourceType, 'OperationOutcome');
  assert.equal(res.json.issue[0].code, 'throttled');
  assertRetryAfter(res.headers.get('retry-after'), retryAfterAtMost);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const countPatients = async (server: TestServer) => Number((await server.fhirkeep.database.sql<{ n: string }[]>`select count(*) as n from resources where type = 'Patient'`)[0]?.n);

describe('FHIR API per client', () => {
  test('past its limit a client gets 429 OperationOutcome (throttled, Retry-After) and writes nothing; another client is not affected', async () => {
    const server = await serverWith({ FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT: '2' }); // a token every 30 s
    const fhir = httpClient(server.fhirBase);
    const [busy, quiet] = [await institutionToken(server.fhirkeep), await institutionToken(server.fhirkeep)];
    for (let i = 0; i < 2; i++) assert.equal((await fhir('GET', '/Patient', { headers: bearer(busy) })).status, 200, `request ${i + 1}`);
    assertThrottled(await fhir('GET', '/Patient', { headers: bearer(busy) }), 30);

    const before = await countPatients(server);
    assertThrottled(await fhir('POST', '/Patient', { body: { resourceType: 'Patient' }, headers: bearer(busy) }), 30);
    assertThrottled(await fhir('POST', '/', { body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }] }, headers: bearer(busy) }), 30);
    assert.equal(await countPatients(server), before, 'a throttled write writes nothing');

    assert.equal((await fhir('POST', '/Patient', { body: { resourceType: 'Patient' }, headers: bearer(quiet) })).status, 201, 'the other client has its own bucket');
    assert.equal(await countPatients(server), before + 1);
    // The Bulk Data status URLs count against the same client limit.
    assertThrottled(await fhir('GET', '/bulk-status/nothing', { headers: bearer(busy) }), 30);
  });
});

describe('FHIR API per address', () => {
  test('counted before authentication: a flood of bad tokens is refused with 429, unauthenticated metadata too', async () => {
    const server = await serverWith({ FHIRKEEP_RATE_LIMIT_FHIR_PER_IP: '2' }); // a token every 30 s
    const fhir = httpClient(server.fhirBase);
    for (let i = 0; i < 2; i++) assert.equal((await fhir('GET', '/Patient', { headers: bearer(`forged-${i}`) })).status, 401);
    assertThrottled(await fhir('GET', '/Patient', { headers: bearer('forged') }), 30);
    assertThrottled(await fhir('GET', '/metadata'), 30);
    assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200, 'only the FHIR API is counted');
    // Without FHIRKEEP_TRUST_PROXY, X-Forwarded-For is the client's own claim and changes nothing.
    assertThrottled(await fhir('GET', '/metadata', { headers: { 'x-forwarded-for': '203.0.113.77' } }), 30);
  });

  test('behind a trusted proxy each forwarded address has its own bucket; an IPv6 /64 counts as one', async () => {
    const server = await serverWith({ FHIRKEEP_RATE_LIMIT_FHIR_PER_IP: '1', FHIRKEEP_TRUST_PROXY: '127.0.0.1,::1' });
    const from = (ip: string) => httpClient(server.fhirBase)('GET', '/metadata', { headers: { 'x-forwarded-for': ip } });
    assert.equal((await from('203.0.113.1')).status, 200);
    assertThrottled(await from('203.0.113.1'), 60);
    assert.equal((await from('203.0.113.2')).status, 200, 'another client behind the proxy');
    assert.equal((await from('198.51.100.9, 203.0.113.3')).status, 200, 'the address the trusted proxy saw, not the first one claimed');
    assertThrottled(await from('203.0.113.3'), 60);
    assert.equal((await from('2001:db8:1:2::1')).status, 200);
    assertThrottled(await from('2001:db8:1:2:ffff::9'), 60);
    assert.equal((await from('2001:db8:1:3::1')).status, 200, 'another /64');
  });
});

describe('token endpoint', () => {
  async function serviceClient(server: TestServer): Promise<{ id: string; secret: string }> {
    const made = await server.fhirkeep.auth.clients.register({ type: 'service', name: 'backend', scopes: ['system/*.rs'] });
    return { id: made.client.id, secret: made.secret ?? '' };
  }
  const basic = (c: { id: string; secret: string }) => `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;
  const tokenRequest = (server: TestServer, c: { id: string; secret: string }) =>
    fetch(`${server.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic(c), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=system/Patient.rs',
    });
  async function assertOAuthThrottled(res: Response, retryAfterAtMost: number): Promise<void> {
    assert.equal(res.status, 429);
    assertRetryAfter(res.headers.get('retry-after'), retryAfterAtMost);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'temporarily_unavailable');
    assert.match(body.error_description, /Too many token requests/);
  }

  test('per client: counted on the client_id the request names, before its secret is checked; other clients go on', async () => {
    const server = await serverWith({ FHIRKEEP_RATE_LIMIT_TOKEN_PER_CLIENT: '2' }); // a token every 30 s
    const [busy, other] = [await serviceClient(server), await serviceClient(server)];
    assert.equal((await tokenRequest(server, busy)).status, 200);
    assert.equal((await tokenRequest(server, { ...busy, secret: 'guess' })).status, 401, 'a wrong secret counts too');
    await assertOAuthThrottled(await tokenRequest(server, busy), 30);
    await assertOAuthThrottled(await tokenRequest(server, { ...busy, secret: 'another guess' }), 30);
    assert.equal((await tokenRequest(server, other)).status, 200);
    // Introspection and revocation authenticate the client as the token endpoint does: the same bucket.
    const introspect = await fetch(`${server.baseUrl}/oauth2/introspect`, { method: 'POST', headers: { authorization: basic(busy), 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
    await assertOAuthThrottled(introspect, 30);
  });

  test('per address: counted before anything is read', async () => {
    const server = await serverWith({ FHIRKEEP_RATE_LIMIT_TOKEN_PER_IP: '2' });
    const [a, b] = [await serviceClient(server), await serviceClient(server)];
    assert.equal((await tokenRequest(server, a)).status, 200);
    assert.equal((await tokenRequest(server, b)).status, 200);
    await assertOAuthThrottled(await tokenRequest(server, { id: `unknown-${randomBytes(4).toString('hex')}`, secret: 'x' }), 30);
    const malformed = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    await assertOAuthThrottled(malformed, 30);
    assert.equal((await fetch(`${server.baseUrl}/oauth2/jwks`)).status, 200, 'the key set is not a token request');
  });
});

describe('sign-in per address', () => {
  test('the portal, the authorization page and the HIE dialect share one limit, each refusing in its own way', async () => {
    const server = await serverWith({ FHIRKEEP_RATE_LIMIT_LOGIN_PER_IP: '2' });
    const { fhirkeep, baseUrl } = server;
    await hieUser(fhirkeep, 'doc@example.org', []);
    const organization = await hieOrganization(fhirkeep, 'Clinic');
    const app = (await fhirkeep.auth.clients.register({ type: 'smart', name: 'app', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['openid'] })).client.id;

    const portalSignIn = async (password: string) => {
      // A browser each: one signed in is sent on from the sign-in page.
      const portal = new TestBrowser(baseUrl);
      const csrf = inputValue((await portal.get('/portal/sign-in')).text, 'csrf') ?? '';
      return portal.post('/portal/sign-in', { email: 'doc@example.org', password, next: '/portal', csrf });
    };
    assert.equal((await portalSignIn('wrong password 1')).status, 401);
    assert.equal((await portalSignIn(HIE_PASSWORD)).status, 303, 'a right password counts as an attempt too');

    const refused = await portalSignIn(HIE_PASSWORD);
    assert.equal(refused.status, 429);
    assertRetryAfter(refused.headers.get('retry-after'), 30);
    assert.match(refused.text, /Too many sign-in attempts/);
    assert.match(refused.headers.get('content-type') ?? '', /text\/html/);

    const browser = new TestBrowser(baseUrl);
    const params = new URLSearchParams({ response_type: 'code', client_id: app, redirect_uri: APP_REDIRECT, scope: 'openid', state: 's', aud: `${baseUrl}/fhir`, code_challenge: randomBytes(32).toString('base64url'), code_challenge_method: 'S256' });
    const login = await browser.follow(await browser.get(`/oauth2/authorize?${params}`));
    const page = await browser.post('/oauth2/authorize/login', { request: inputValue(login.text, 'request') ?? '', csrf: inputValue(login.text, 'csrf') ?? '', email: 'doc@example.org', password: HIE_PASSWORD });
    assert.equal(page.status, 429);
    assertRetryAfter(page.headers.get('retry-after'), 30);
    assert.match(page.text, /Too many sign-in attempts/);
    assert.equal(browser.jar.get('fhirkeep_session'), undefined, 'no session');

    const hie = await fetch(`${baseUrl}/api/1.0/sso/signin`, { method: 'POST', headers: hieHeaders(organization), body: new URLSearchParams({ email: 'doc@example.org', password: HIE_PASSWORD }) });
    assert.equal(hie.status, 429);
    assertRetryAfter(hie.headers.get('retry-after'), 30);
    assert.deepEqual(Object.keys((await hie.json()) as object).sort(), ['code', 'error', 'message']);
  });
});
