import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { inputValue, TestBrowser, type PageResponse } from './support/browser.js';
import { institutionToken } from './support/institution.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

/**
 * Consents in the authorization flow of a running Fhirkeep (docs/consents.md): the page on first
 * use records the holder's consent, later requests it covers skip the page (prompt=none
 * succeeds), a filter change asks again, and withdrawing the consent kills the app's tokens.
 */
let server: TestServer;
let appId: string;
let accountId: string;
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://localhost:9/callback';
const SCOPE = 'openid launch/patient patient/*.rs offline_access';

before(async () => {
  server = await startTestServer();
  const { accounts, clients } = server.fhirkeep.auth;
  accountId = (await accounts.create({ email: 'holder@example.org', password: PASSWORD, roles: ['patient'], patientId: 'h1' })).id;
  appId = (await clients.register({ type: 'smart', name: 'Weight app', isPublic: true, redirectUris: [REDIRECT], scopes: SCOPE.split(' ') })).client.id;
  const seed = await institutionToken(server.fhirkeep);
  const put = await fetch(`${server.fhirBase}/Patient/h1`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', id: 'h1' }),
  });
  assert.ok(put.ok, await put.text());
});
after(() => server.close());

const browser = () => new TestBrowser(server.baseUrl);
let signedIn: TestBrowser | undefined;

function keys(page: PageResponse) {
  return { request: inputValue(page.text, 'request') ?? '', csrf: inputValue(page.text, 'csrf') ?? '' };
}

/** Starts a request in the signed-in browser (signing in on first use); ends at a page or at the app. */
async function start(extra: Record<string, string> = {}): Promise<{ page: PageResponse; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: appId,
    redirect_uri: REDIRECT,
    scope: SCOPE,
    state: 's',
    aud: server.fhirBase,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  });
  signedIn ??= browser();
  let page = await signedIn.follow(await signedIn.get(`/oauth2/authorize?${params}`));
  if (/Sign in/.test(page.text)) {
    page = await signedIn.follow(await signedIn.post('/oauth2/authorize/login', { ...keys(page), email: 'holder@example.org', password: PASSWORD }));
  }
  return { page, verifier };
}

function codeOf(res: PageResponse): string {
  assert.equal(res.status, 303, res.text);
  const url = new URL(res.location ?? '');
  assert.equal(`${url.origin}${url.pathname}`, REDIRECT);
  const code = url.searchParams.get('code');
  assert.ok(code, url.toString());
  return code;
}

async function approve(page: PageResponse): Promise<string> {
  assert.match(page.text, /Allow access\?/);
  const scopes = [...page.text.matchAll(/name="scope" id="s\d+" value="([^"]+)"/g)].map((m) => m[1] ?? '');
  return codeOf(await (signedIn ?? browser()).post('/oauth2/authorize/consent', { ...keys(page), decision: 'approve', scope: scopes }));
}

async function token(form: Record<string, string>): Promise<{ status: number; json: Record<string, string> }> {
  const res = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: appId, ...form }) });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

const redeem = (code: string, verifier: string) => token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
const readPatient = (accessToken: string) => fetch(`${server.fhirBase}/Patient/h1`, { headers: { authorization: `Bearer ${accessToken}` } });
const consent = () => server.fhirkeep.consents.findPair({ kind: 'app', accountId, organizationId: undefined, clientId: appId });

test('first use shows the page and records the consent; later requests it covers skip the page, prompt=none included', async () => {
  const first = await start();
  const code = await approve(first.page);
  assert.equal((await redeem(code, first.verifier)).status, 200);
  const recorded = await consent();
  assert.deepEqual([recorded?.status, recorded?.patientId, recorded?.filterVersion, [...(recorded?.scopes ?? [])].sort()], ['active', 'h1', 1, SCOPE.split(' ').sort()]);

  const second = await start({ state: 'again' });
  const skipped = codeOf(second.page);
  const tokens = await redeem(skipped, second.verifier);
  assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
  assert.equal(tokens.json['patient'], 'h1', 'the grant carries the holder’s own record');
  assert.equal((await readPatient(tokens.json['access_token'] ?? '')).status, 200);

  codeOf((await start({ prompt: 'none' })).page);
  assert.match((await start({ prompt: 'consent' })).page.text, /Allow access\?/, 'prompt=consent still asks');
});

test('after a filter change the page shows again, saying so, and prompt=none needs consent until the holder confirms', async () => {
  const before = await start();
  const outstanding = (await redeem(codeOf(before.page), before.verifier)).json['access_token'] ?? '';
  assert.equal((await readPatient(outstanding)).status, 200);
  await server.fhirkeep.auth.accessFilters.setAccessFilter(appId, { filter: { format: 'fhir/Patient' } });
  assert.equal((await readPatient(outstanding)).status, 401, 'a filter change logs every user of the app out');
  const none = (await start({ prompt: 'none' })).page;
  assert.equal(new URL(none.location ?? '').searchParams.get('error'), 'consent_required');
  const { page, verifier } = await start();
  assert.match(page.text, /data access changed since you approved it: confirm again/);
  assert.equal((await redeem(await approve(page), verifier)).status, 200);
  assert.equal((await consent())?.filterVersion, 2, 'confirmed for the current filter');
  codeOf((await start({ prompt: 'none' })).page);
});

test('withdrawing the consent kills the app’s access and refresh tokens at once; the next request asks again', async () => {
  const { page, verifier } = await start();
  const tokens = (await redeem(codeOf(page), verifier)).json;
  assert.equal((await readPatient(tokens['access_token'] ?? '')).status, 200);
  const current = await consent();
  assert.ok(current);
  await server.fhirkeep.consents.revoke(current.id, accountId);
  assert.equal((await readPatient(tokens['access_token'] ?? '')).status, 401, 'the very next request');
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens['refresh_token'] ?? '' });
  assert.deepEqual([refreshed.status, refreshed.json['error']], [400, 'invalid_grant']);
  const again = (await start()).page;
  assert.match(again.text, /Allow access\?/, 'a withdrawn consent covers nothing');
  await approve(again);
  assert.equal((await consent())?.status, 'active', 'approving re-activates it');
});

test('the JSON API answers the holder’s session with their consents, and refuses without one', async () => {
  const res = await (signedIn ?? browser()).get('/api/consents');
  assert.equal(res.status, 200, res.text);
  const { consents } = JSON.parse(res.text) as { consents: { client?: string; status: string; sharing: boolean }[] };
  assert.deepEqual(consents.map((c) => [c.client, c.status, c.sharing]), [[appId, 'active', true]], 'approved again after the withdrawal');
  const anonymous = await fetch(`${server.baseUrl}/api/consents`);
  assert.equal(anonymous.status, 401);
});
