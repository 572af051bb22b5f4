import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { inputValue, TestBrowser, type PageResponse } from './support/browser.js';
import { institutionToken } from './support/institution.js';

/**
 * Authorization code + PKCE, id_token, userinfo, refresh-token rotation with reuse detection,
 * introspection and revocation, driven by openid-client against a running Fhirkeep; the user
 * is a cookie-jar browser filling in Fhirkeep's login and consent pages.
 */
let server: TestServer;
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://localhost:9/callback';
let confidential: { id: string; secret: string };
let publicClient: string;

before(async () => {
  server = await startTestServer();
  const { accounts, clients } = server.fhirkeep.auth;
  await accounts.create({ email: 'pat@example.org', password: PASSWORD, roles: ['patient'], patientId: 'pat1', displayName: 'Pat Example' });
  const scopes = ['openid', 'fhirUser', 'profile', 'launch/patient', 'offline_access', 'online_access', 'patient/*.rs'];
  const made = await clients.register({ type: 'smart', name: 'confidential app', redirectUris: [REDIRECT], scopes });
  confidential = { id: made.client.id, secret: made.secret ?? '' };
  publicClient = (await clients.register({ type: 'smart', name: 'public app', isPublic: true, redirectUris: [REDIRECT], scopes })).client.id;
  const token = await institutionToken(server.fhirkeep);
  for (const resource of [
    { resourceType: 'Patient', id: 'pat1' },
    { resourceType: 'Patient', id: 'other' },
    { resourceType: 'Observation', id: 'o-pat1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pat1' } },
    { resourceType: 'Observation', id: 'o-other', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/other' } },
  ]) {
    const res = await fetch(`${server.fhirBase}/${resource.resourceType}/${resource.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    });
    assert.ok(res.ok, await res.text());
  }
});
after(() => server.close());

const insecure = { execute: [oidc.allowInsecureRequests] };

/** Matches openid-client's error for an OAuth error response with this code. */
const oauthError = (code: string) => (e: unknown) => (e as { error?: string }).error === code;

function keys(page: PageResponse) {
  return { request: inputValue(page.text, 'request') ?? '', csrf: inputValue(page.text, 'csrf') ?? '' };
}

/** Signs in and approves the scopes in `approve` (all offered ones when omitted); returns the callback URL. */
async function authorize(config: oidc.Configuration, params: Record<string, string>, approve?: readonly string[]): Promise<URL> {
  const browser = new TestBrowser(server.baseUrl);
  // prompt=consent: every flow here drives the consent page, which an earlier approval would skip (docs/consents.md).
  let page = await browser.follow(await browser.get(oidc.buildAuthorizationUrl(config, { prompt: 'consent', ...params }).href));
  page = await browser.follow(await browser.post('/oauth2/authorize/login', { ...keys(page), email: 'pat@example.org', password: PASSWORD }));
  assert.match(page.text, /Allow access\?/);
  const offered = [...page.text.matchAll(/name="scope" id="s\d+" value="([^"]+)"/g)].map((m) => m[1] ?? '');
  const approved = await browser.post('/oauth2/authorize/consent', { ...keys(page), decision: 'approve', scope: approve ?? offered });
  assert.equal(approved.status, 303);
  return new URL(approved.location ?? '');
}

async function flow(clientId: string, auth: oidc.ClientAuth, scope: string, approve?: readonly string[]) {
  const config = await oidc.discovery(new URL(server.baseUrl), clientId, undefined, auth, insecure);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const callback = await authorize(
    config,
    { redirect_uri: REDIRECT, scope, aud: server.fhirBase, state, nonce, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' },
    approve,
  );
  // A nonce comes back only in an id_token, i.e. when openid was granted.
  const granted = approve ?? scope.split(' ');
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, ...(granted.includes('openid') ? { expectedNonce: nonce } : {}) });
  return { config, tokens, callback, verifier };
}

const fhirGet = (path: string, token: string) => fetch(`${server.fhirBase}${path}`, { headers: { authorization: `Bearer ${token}` } });

test('authorization code + PKCE (confidential client): id_token with fhirUser, patient context, compartment-limited reads', async () => {
  const { config, tokens } = await flow(confidential.id, oidc.ClientSecretBasic(confidential.secret), 'openid fhirUser profile launch/patient patient/*.rs');
  const claims = tokens.claims();
  assert.equal(claims?.sub !== undefined, true);
  assert.equal(claims?.fhirUser, `${server.fhirBase}/Patient/pat1`);
  assert.equal((tokens as unknown as { patient: string }).patient, 'pat1');
  assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access or online_access');
  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims?.sub ?? '');
  assert.equal(info.email, 'pat@example.org');
  assert.equal((await fhirGet('/Observation/o-pat1', tokens.access_token)).status, 200);
  assert.equal((await fhirGet('/Observation/o-other', tokens.access_token)).status, 404, "another patient's data is indistinguishable from missing");
  const bundle = (await (await fhirGet('/Observation', tokens.access_token)).json()) as { entry?: { resource: { id: string } }[] };
  assert.deepEqual((bundle.entry ?? []).map((e) => e.resource.id), ['o-pat1']);
});

test('the user can untick scopes on the consent page; the token carries only the ticked ones', async () => {
  const { tokens } = await flow(confidential.id, oidc.ClientSecretBasic(confidential.secret), 'openid launch/patient patient/*.rs offline_access', ['launch/patient', 'patient/*.rs']);
  assert.equal(tokens.scope, 'launch/patient patient/*.rs');
  assert.equal(tokens.refresh_token, undefined);
  assert.equal(tokens.id_token, undefined);
});

test('refresh tokens rotate; narrowing is allowed, widening refused; a reused one revokes the whole family', async () => {
  const { config, tokens } = await flow(publicClient, oidc.None(), 'launch/patient patient/*.rs offline_access');
  const first = tokens.refresh_token ?? '';
  assert.ok(first);
  const second = await oidc.refreshTokenGrant(config, first);
  assert.ok(second.refresh_token && second.refresh_token !== first, 'a new refresh token on every use');
  assert.equal(second.scope, 'launch/patient patient/*.rs offline_access');
  const narrowed = await oidc.refreshTokenGrant(config, second.refresh_token ?? '', { scope: 'patient/Observation.rs' });
  assert.equal(narrowed.scope, 'patient/Observation.rs');
  assert.equal((await fhirGet('/Patient/pat1', narrowed.access_token)).status, 403, 'the narrowed token has no Patient scope');
  await assert.rejects(oidc.refreshTokenGrant(config, narrowed.refresh_token ?? '', { scope: 'user/*.rs' }), oauthError('invalid_scope'), 'widening is refused');
  // The refresh token kept the original scope (RFC 6749 §6), so the next refresh may ask for it all again.
  const third = await oidc.refreshTokenGrant(config, narrowed.refresh_token ?? '');
  assert.equal(third.scope, 'launch/patient patient/*.rs offline_access');
  assert.equal((await fhirGet('/Patient/pat1', third.access_token)).status, 200);
  await assert.rejects(oidc.refreshTokenGrant(config, first), oauthError('invalid_grant'), 'a rotated-out token presented again');
  assert.equal((await fhirGet('/Patient/pat1', third.access_token)).status, 401, 'the family is revoked, access tokens included');
  await assert.rejects(oidc.refreshTokenGrant(config, third.refresh_token ?? ''), oauthError('invalid_grant'));
});

test('codes: single use (a second redemption revokes what the first issued), PKCE checked, bound to client and redirect URI', async () => {
  const { config, tokens, callback, verifier } = await flow(publicClient, oidc.None(), 'launch/patient patient/*.rs');
  assert.equal((await fhirGet('/Patient/pat1', tokens.access_token)).status, 200);
  const code = callback.searchParams.get('code') ?? '';
  const redeem = (fields: Record<string, string>) =>
    fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const again = await redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: publicClient, code_verifier: verifier });
  assert.equal(again.status, 400);
  assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
  assert.equal((await fhirGet('/Patient/pat1', tokens.access_token)).status, 401, 'the tokens of the first redemption are revoked');

  const check = async (name: string, fields: (c: string, v: string) => Record<string, string>, status = 400, error = 'invalid_grant') => {
    const fresh = await flowCode();
    const res = await redeem(fields(fresh.code, fresh.verifier));
    assert.equal(res.status, status, name);
    assert.equal(((await res.json()) as { error: string }).error, error, name);
  };
  const flowCode = async () => {
    const v = oidc.randomPKCECodeVerifier();
    const cb = await authorize(config, { redirect_uri: REDIRECT, scope: 'patient/*.rs', aud: server.fhirBase, code_challenge: await oidc.calculatePKCECodeChallenge(v), code_challenge_method: 'S256' });
    return { code: cb.searchParams.get('code') ?? '', verifier: v };
  };
  await check('missing verifier', (c) => ({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: publicClient }));
  await check('blank verifier', (c) => ({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: publicClient, code_verifier: '' }));
  await check('wrong verifier', (c) => ({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: publicClient, code_verifier: oidc.randomPKCECodeVerifier() }));
  await check('wrong redirect URI', (c, v) => ({ grant_type: 'authorization_code', code: c, redirect_uri: 'http://localhost:9/other', client_id: publicClient, code_verifier: v }));
  await check("another client's code", (c, v) => ({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: confidential.id, client_secret: confidential.secret, code_verifier: v }));
});

test('a token response is never cached, and an expired code is refused', async () => {
  const { config } = await flow(publicClient, oidc.None(), 'patient/*.rs');
  const v = oidc.randomPKCECodeVerifier();
  const cb = await authorize(config, { redirect_uri: REDIRECT, scope: 'patient/*.rs', aud: server.fhirBase, code_challenge: await oidc.calculatePKCECodeChallenge(v), code_challenge_method: 'S256' });
  const res = await fetch(`${server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '', redirect_uri: REDIRECT, client_id: publicClient, code_verifier: v }).toString(),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');

  const late = oidc.randomPKCECodeVerifier();
  const lateCallback = await authorize(config, { redirect_uri: REDIRECT, scope: 'patient/*.rs', aud: server.fhirBase, code_challenge: await oidc.calculatePKCECodeChallenge(late), code_challenge_method: 'S256' });
  // Five minutes pass (LIFETIMES.authorizationCode).
  await server.fhirkeep.database.sql`update authorization_codes set expires_at = now() - interval '1 second' where used_at is null`;
  await assert.rejects(oidc.authorizationCodeGrant(config, lateCallback, { pkceCodeVerifier: late }), oauthError('invalid_grant'));
});
