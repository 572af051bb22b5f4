import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
const LOINC = 'http://loinc.org';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

/**
 * Issue 5: "Changing an app's filter bumps its version: every user must re-confirm, and their
 * outstanding tokens and refresh tokens stop working until they do ('logout all users')", over a
 * running Fhirkeep: the admin saves a filter through the API; the user's tokens die at once.
 */
let server: TestServer;
let adminCookie: string;
let patientAccount: string;
let app: { id: string; secret: string };
let service: { id: string; secret: string };
const REDIRECT = 'http://localhost:9/callback';

before(async () => {
  server = await startTestServer();
  const { accounts, clients, sessions } = server.fhirkeep.auth;
  const admin = await accounts.create({ email: 'admin2@example.org', password: 'correct horse battery staple', roles: ['admin'] });
  adminCookie = (await sessions.start(admin.id, undefined)).split(';')[0] ?? '';
  patientAccount = (await accounts.create({ email: 'pat@example.org', password: 'correct horse battery staple', roles: ['patient'], patientId: 'pat1' })).id;
  const made = await clients.register({ type: 'smart', name: 'Weight app', redirectUris: [REDIRECT], scopes: ['launch/patient', 'offline_access', 'patient/*.rs'] });
  app = { id: made.client.id, secret: made.secret ?? '' };
  const svc = await clients.register({ type: 'service', name: 'Sync', scopes: ['system/*.rs'] });
  service = { id: svc.client.id, secret: svc.secret ?? '' };
});
after(() => server.close());

const basic = (c: { id: string; secret: string }) => `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;
async function token(fields: Record<string, string>, client: { id: string; secret: string }) {
  const res = await fetch(`${server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}
const fhirGet = (path: string, accessToken: string) => fetch(`${server.fhirBase}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
const introspect = async (tokenValue: string, client: { id: string; secret: string }) =>
  (await fetch(`${server.baseUrl}/oauth2/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
    body: new URLSearchParams({ token: tokenValue }).toString(),
  }).then((r) => r.json())) as Record<string, unknown>;
const putFilter = (body: unknown) =>
  fetch(`${server.baseUrl}/api/clients/${app.id}/filter`, { method: 'PUT', headers: { cookie: adminCookie, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
    async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }),
  );

/** What the consent page ends in: a grant and its code, redeemed at the token endpoint. */
async function userTokens(): Promise<Record<string, string>> {
  const verifier = randomBytes(32).toString('base64url');
  const { code } = await server.fhirkeep.auth.grants.authorize({
    clientId: app.id,
    accountId: patientAccount,
    scopes: ['launch/patient', 'offline_access', 'patient/*.rs'],
    context: { patient: 'pat1' },
    redirectUri: REDIRECT,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    nonce: undefined,
  });
  const res = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, app);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json;
}

test("saving a filter logs out the app's users: access token 401, refresh token invalid_grant; a service's own token survives", async () => {
  const user = await userTokens();
  const serviceToken = (await token({ grant_type: 'client_credentials' }, service)).json.access_token ?? '';
  assert.equal((await fhirGet('/Patient/pat1', user.access_token ?? '')).status, 404, 'the token works (the patient is just not there)');
  assert.equal((await introspect(user.access_token ?? '', app)).filter_scope, undefined, 'no filter, no filter_scope');

  const saved = await putFilter({ filter: { content: 'body/weight', code: `${LOINC} 29463-7` }, write_mode: 'none' });
  assert.equal(saved.status, 200, JSON.stringify(saved.json));
  assert.deepEqual([saved.json.filter_version, saved.json.revoked_grants], [2, 1]);

  assert.equal((await fhirGet('/Patient/pat1', user.access_token ?? '')).status, 401, 'the access token stopped working');
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token ?? '' }, app);
  assert.deepEqual([refreshed.status, refreshed.json.error], [400, 'invalid_grant']);
  assert.deepEqual(await introspect(user.access_token ?? '', app), { active: false });

  // A user who confirms again gets working tokens, and introspection names what the filter implies.
  const again = await userTokens();
  assert.equal((await fhirGet('/Observation/none', again.access_token ?? '')).status, 404);
  assert.equal((await fhirGet('/Patient/pat1', again.access_token ?? '')).status, 403, 'the new filter covers body weights only');
  const info = await introspect(again.access_token ?? '', app);
  assert.deepEqual([info.active, info.scope, info.filter_scope], [true, 'launch/patient offline_access patient/*.rs', 'user/Observation.rs']);
  assert.equal((await introspect(again.refresh_token ?? '', app)).filter_scope, 'user/Observation.rs');

  // Client credentials: no user to re-confirm, no stored grant; the service's token keeps working.
  assert.equal((await fhirGet('/Patient/pat1', serviceToken)).status, 404);

  const unchanged = await putFilter({ filter: { code: `${LOINC} 29463-7`, content: 'body/weight' }, write_mode: 'none' });
  assert.deepEqual([unchanged.json.filter_version, unchanged.json.revoked_grants], [2, 0], 'the same settings again change nothing');
  assert.equal((await fhirGet('/Observation/none', again.access_token ?? '')).status, 404, 'and log nobody out');
});

test('"logout_users": false keeps the users signed in: the version is bumped, no grant is revoked, their tokens still work', async () => {
  const before = (await putFilter({ filter: { content: 'body/weight' }, write_mode: 'none' })).json;
  const user = await userTokens();
  const kept = await putFilter({ filter: { content: 'body/height' }, write_mode: 'none', logout_users: false });
  assert.equal(kept.status, 200, JSON.stringify(kept.json));
  assert.deepEqual([kept.json.filter_version, kept.json.revoked_grants], [Number(before.filter_version) + 1, 0]);
  assert.equal((await introspect(user.access_token ?? '', app)).active, true, 'the access token is still active');
  assert.notEqual((await fhirGet('/Observation/none', user.access_token ?? '')).status, 401);
  assert.equal((await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token ?? '' }, app)).status, 200, 'the refresh token still works');
  const bad = await putFilter({ filter: {}, write_mode: 'none', logout_users: 'no' });
  assert.equal(bad.status, 400, 'logout_users is a boolean');

  const loggedOut = await putFilter({ filter: { content: 'body/weight' }, write_mode: 'none', logout_users: true });
  assert.equal(loggedOut.json.revoked_grants, 1, 'true (the default) logs them out');
  assert.equal((await fhirGet('/Observation/none', user.access_token ?? '')).status, 401);
});

test('a developer cannot revoke or filter another developer’s client through the composed server', async () => {
  const { accounts, clients, sessions } = server.fhirkeep.auth;
  const dev = await accounts.create({ email: 'dev@example.org', password: 'correct horse battery staple', roles: ['developer'] });
  const cookie = (await sessions.start(dev.id, undefined)).split(';')[0] ?? '';
  const revoke = await fetch(`${server.baseUrl}/api/clients/${app.id}`, { method: 'DELETE', headers: { cookie } });
  assert.equal(revoke.status, 404);
  const filter = await fetch(`${server.baseUrl}/api/clients/${app.id}/filter`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: '{"filter":null,"write_mode":"any"}' });
  assert.equal(filter.status, 404);
  assert.equal((await clients.find(app.id))?.revoked, false);
});
