import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { inputValue, TestBrowser } from './support/browser.js';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { seedHolders } from './support/holders.js';
import { APP_REDIRECT, signIn } from './support/sign-in.js';

/**
 * The account holder's portal pages (docs/portal/portal-my-data.md), over a running Fhirkeep and
 * in a real browser: the consent screen of an app's first use names its filter in plain words;
 * "Apps and services with access" lists it and revokes it (its token dies at once); subscribing
 * to a service lets the service's own token see the holder's records, unsubscribing stops it;
 * sharing with an organization lets its members see them, and stopping ends that. Negative: the
 * wrong role, another holder's consent, a form without its CSRF token, bad input.
 */
const file = serverForThisFile();
const browser = chromiumForThisFile();
const PASSWORD = 'a long portal password';
/** The SMART app's redirect: the browser never reaches it, the test answers it (page.route). */
const REDIRECT = 'http://localhost:9/callback';

let appId: string;
let service: { id: string; secret: string };
let viewerId: string;
let goneId: string;
let clinicId: string;
let observations: Record<string, string>;

const holder = { email: 'holder@example.org', password: PASSWORD };
const doctor = { email: 'doc@example.org', password: PASSWORD };

/**
 * The file's accounts, clients and organizations, made once by the first test that needs them (a
 * top-level `before` of its own could run before the server's, under Node 20).
 */
let seeded: Promise<void> | undefined;
const ready = () => (seeded ??= seed());
async function seed(): Promise<void> {
  const { accounts, clients, accessFilters } = file.server.fhirkeep.auth;
  await accounts.create({ email: holder.email, password: PASSWORD, roles: ['patient'], patientId: 'hold-1', displayName: 'Hana Holder' });
  await accounts.create({ email: 'other@example.org', password: PASSWORD, roles: ['patient'], patientId: 'other-1' });
  await accounts.create({ email: 'dev@example.org', password: PASSWORD, roles: ['developer'] });
  const doc = await accounts.create({ email: doctor.email, password: PASSWORD, roles: ['practitioner'], practitionerId: 'dr-1' });
  observations = await seedHolders(file.server, ['hold-1', 'other-1']);

  appId = (await clients.register({ type: 'smart', name: 'Weight diary', isPublic: true, redirectUris: [REDIRECT], scopes: ['openid', 'launch/patient', 'patient/*.rs'] })).client.id;
  await accessFilters.setAccessFilter(appId, { filter: { owner: 'self', content: 'body/weight', 'created-after': '2020-01-01' }, writeMode: 'none' });
  const svc = await clients.register({ type: 'service', name: 'Lab sync', scopes: ['system/*.rs'] });
  service = { id: svc.client.id, secret: svc.secret ?? '' };
  await accessFilters.setAccessFilter(service.id, { filter: { format: 'fhir/Observation', 'created-after': '2020-01-01' }, writeMode: 'none' });
  goneId = (await clients.register({ type: 'service', name: 'Withdrawn service' })).client.id;
  await clients.revoke(goneId);
  viewerId = (await clients.register({ type: 'smart', name: 'Clinic viewer', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['openid', 'user/*.rs'] })).client.id;

  const clinic = await accounts.createOrganization({ name: 'Green Valley Clinic' });
  clinicId = clinic.id;
  await accounts.createTeam(clinic.id, 'Cardiology');
  await accounts.createOrganization({ name: 'Riverside Hospital' });
  await accounts.addMember(clinic.id, doc.id);
}

const fhirGet = (path: string, token: string) => fetch(`${file.server.fhirBase}${path}`, { headers: { authorization: `Bearer ${token}` } });
const basic = (c: { id: string; secret: string }) => `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;

async function serviceToken(): Promise<string> {
  const res = await fetch(`${file.server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(service) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Observation.rs' }).toString(),
  });
  const json = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(json));
  return json.access_token ?? '';
}

/** The Observation ids a token's search finds. */
async function observationIds(token: string): Promise<string[]> {
  const res = await fhirGet('/Observation', token);
  assert.equal(res.status, 200, await res.clone().text());
  const bundle = (await res.json()) as { entry?: { resource: { id: string } }[] };
  return (bundle.entry ?? []).map((e) => e.resource.id).sort();
}

/** Signs in on the portal's own page, in a fresh browser context. */
async function portalPage(user: { email: string; password: string }, next = '/portal/my-data'): Promise<Page> {
  const page = await browser.page();
  await page.goto(`${file.server.baseUrl}/portal/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next);
  return page;
}

/** A signed-in fetch-level browser, for the refusals a real browser would never send. */
async function signedIn(email: string): Promise<TestBrowser> {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  const res = await visitor.post('/portal/sign-in', { email, password: PASSWORD, next: '/portal/my-data', csrf });
  assert.equal(res.status, 303, res.text);
  return visitor;
}

const csrfOf = async (visitor: TestBrowser, path: string) => inputValue((await visitor.get(path)).text, 'csrf') ?? '';

test('a holder approves a SMART app on its consent screen, sees it with access, revokes it with confirmation, and its token stops at once', { skip: NO_CHROMIUM }, async () => {
  await ready();
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  let callback: URL | undefined;
  await page.route(`${REDIRECT}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'the app' });
  });
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URLSearchParams({
    response_type: 'code',
    client_id: appId,
    redirect_uri: REDIRECT,
    scope: 'openid launch/patient patient/*.rs',
    state: 'st',
    aud: file.server.fhirBase,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  await page.goto(`${file.server.baseUrl}/oauth2/authorize?${authorize}`);
  await page.getByLabel('Email').fill(holder.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  const access = await page.locator('ul.access li').allTextContents();
  // Which kinds of data, own or shared, the time window, and what it may write.
  assert.deepEqual(access, ['Body weight records you own, created after 1 Jan 2020', 'It cannot add, change or delete anything']);
  await page.getByText('You can withdraw your approval at any time').waitFor();
  await screenshot(page, 'my-data-consent-screen');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.waitForURL((url) => url.href.startsWith(REDIRECT));
  const code = callback?.searchParams.get('code') ?? '';
  assert.notEqual(code, '', `a code for the app: ${callback?.href ?? 'no callback'}`);
  const tokenRes = await fetch(`${file.server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: appId }).toString(),
  });
  const tokens = (await tokenRes.json()) as { access_token?: string };
  assert.equal(tokenRes.status, 200, JSON.stringify(tokens));
  const appToken = tokens.access_token ?? '';
  // Its filter lets it search Body weight records only: a search answers, whatever it finds.
  assert.equal((await fhirGet('/Observation', appToken)).status, 200, 'the app works');

  // The same sign-in is the portal's: "My data" lists the app with its filter in plain words.
  await page.goto(`${file.server.baseUrl}/portal/my-data`);
  await page.getByRole('heading', { name: 'Apps and services with access' }).waitFor();
  const apps = page.getByRole('region', { name: 'Apps you approved' });
  const row = apps.getByRole('row', { name: /Weight diary/ });
  await row.getByText('Body weight records you own, created after 1 Jan 2020').waitFor();
  await row.getByText('It cannot add, change or delete anything').waitFor();
  assert.match((await row.locator('time').getAttribute('datetime')) ?? '', /^\d{4}-\d\d-\d\dT/, 'since when');
  await screenshot(page, 'my-data-access');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'on a phone the page does not scroll sideways');
  await screenshot(page, 'my-data-access-phone');
  await page.setViewportSize({ width: 1200, height: 900 });

  // Revoking asks first; Cancel leaves it in place.
  await row.getByRole('link', { name: 'Revoke: Weight diary' }).click();
  await page.getByRole('heading', { name: "Revoke Weight diary's access?" }).waitFor();
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.getByRole('heading', { name: 'Apps and services with access' }).waitFor();
  assert.equal((await fhirGet('/Observation', appToken)).status, 200, 'cancel revokes nothing');
  await page.getByRole('link', { name: 'Revoke: Weight diary' }).click();
  await page.getByRole('button', { name: 'Revoke access' }).click();
  await page.getByRole('status').filter({ hasText: 'Weight diary no longer has access to your records.' }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Apps you approved' }).getByText('No app has access.').count(), 1);
  const history = page.getByRole('region', { name: 'History' }).getByRole('row', { name: /Weight diary/ });
  assert.match((await history.textContent()) ?? '', /App\s*Revoked/);

  assert.equal((await fhirGet('/Observation', appToken)).status, 401, "the app's token stopped working at once");
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('what waits for the holder — an app whose filter changed, a proposed share — is reviewed and approved from the portal', { skip: NO_CHROMIUM }, async () => {
  await ready();
  const { clients, accessFilters, accounts } = file.server.fhirkeep.auth;
  const holderId = (await accounts.findByEmail(holder.email))?.id ?? '';
  const moodId = (await clients.register({ type: 'smart', name: 'Mood journal', isPublic: true, redirectUris: [REDIRECT], scopes: ['openid', 'patient/*.rs'] })).client.id;
  const appConsent = await file.server.fhirkeep.consents.grant({ kind: 'app', accountId: holderId, clientId: moodId });
  await accessFilters.setAccessFilter(moodId, { filter: { owner: 'self', format: 'fhir/Observation' }, writeMode: 'none', logoutUsers: false });
  const riverside = (await accounts.listOrganizations()).find((o) => o.name === 'Riverside Hospital')?.id ?? '';
  const proposed = await file.server.fhirkeep.consents.grant({ kind: 'organization', accountId: holderId, organizationId: riverside, status: 'proposed' });

  const page = await portalPage(holder);
  const errors = watchForPageErrors(page);
  const waiting = page.getByRole('region', { name: 'Waiting for your approval' });
  await waiting.getByText('its data access changed since you approved it').waitFor();
  await waiting.getByText('not in force yet').waitFor();
  await screenshot(page, 'my-data-pending');

  await waiting.getByRole('link', { name: 'Review and approve: Mood journal' }).click();
  await page.getByRole('heading', { name: 'Approve Mood journal?' }).waitFor();
  assert.deepEqual(await page.locator('ul.access li').allTextContents(), ['Observation records you own', 'It cannot add, change or delete anything'], 'the new filter, in plain words');
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal((await file.server.fhirkeep.consents.find(appConsent.id))?.filterVersion, appConsent.filterVersion, 'cancel approves nothing');
  await waiting.getByRole('link', { name: 'Review and approve: Mood journal' }).click();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('status').filter({ hasText: 'You approved Mood journal' }).waitFor();
  const app = await file.server.fhirkeep.consents.find(appConsent.id);
  assert.equal(app?.filterVersion, app?.currentFilterVersion, 'confirmed for the current filter');

  await waiting.getByRole('link', { name: 'Review and approve: Riverside Hospital' }).click();
  await page.getByText('Members of Riverside Hospital can see your records').waitFor();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('status').filter({ hasText: 'You approved Riverside Hospital' }).waitFor();
  assert.equal((await file.server.fhirkeep.consents.find(proposed.id))?.status, 'active');
  await page.getByRole('region', { name: 'Organizations you share with' }).getByRole('row', { name: /Riverside Hospital/ }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Waiting for your approval' }).count(), 0, 'nothing waits any more');
  assert.deepEqual(errors, [], 'no CSP violation or script error');

  // Another holder's consent is missing; a form without its CSRF token changes nothing.
  const otherId = (await accounts.findByEmail('other@example.org'))?.id ?? '';
  const theirs = await file.server.fhirkeep.consents.grant({ kind: 'organization', accountId: otherId, organizationId: riverside, status: 'proposed' });
  const me = await signedIn(holder.email);
  assert.equal((await me.get(`/portal/my-data/access/${theirs.id}/approve`)).status, 404);
  assert.equal((await me.post(`/portal/my-data/access/${theirs.id}/approve`, { csrf: await csrfOf(me, '/portal/my-data') })).status, 404);
  assert.equal((await file.server.fhirkeep.consents.find(theirs.id))?.status, 'proposed');
  const mine = await file.server.fhirkeep.consents.grant({ kind: 'organization', accountId: holderId, organizationId: clinicId, status: 'draft' });
  assert.equal((await me.post(`/portal/my-data/access/${mine.id}/approve`, {})).status, 403);
  assert.equal((await file.server.fhirkeep.consents.find(mine.id))?.status, 'draft');
  // The other tests of this file share with these organizations from nothing.
  for (const id of [proposed.id, theirs.id, mine.id]) await file.server.fhirkeep.consents.setStatus(id, 'inactive');
});

test("a holder subscribes to a service, whose own token then sees the holder's records, and unsubscribes", { skip: NO_CHROMIUM }, async () => {
  await ready();
  const token = await serviceToken();
  assert.deepEqual(await observationIds(token), [], 'no subscriber yet: the service sees nothing');

  const page = await portalPage(holder, '/portal/my-data/services');
  const errors = watchForPageErrors(page);
  await page.reload();
  await page.getByRole('heading', { name: 'Subscribe to external services' }).waitFor();
  assert.equal(await page.getByText('Withdrawn service').count(), 0, 'a revoked service is not offered');
  const row = page.getByRole('row', { name: /Lab sync/ });
  await row.getByText('Observation records you own, created after 1 Jan 2020').waitFor();
  await screenshot(page, 'my-data-services');

  await row.getByRole('link', { name: 'Subscribe: Lab sync' }).click();
  await page.getByRole('heading', { name: 'Subscribe to Lab sync?' }).waitFor();
  assert.deepEqual(await page.locator('ul.access li').allTextContents(), ['Observation records you own, created after 1 Jan 2020', 'It cannot add, change or delete anything']);
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('status').filter({ hasText: 'You subscribed to Lab sync.' }).waitFor();
  await page.getByRole('row', { name: /Lab sync/ }).getByText('Subscribed since').waitFor();

  assert.deepEqual(await observationIds(token), [observations['hold-1']], "the service sees the subscriber's record, and no one else's");
  const consents = await file.server.fhirkeep.consents.list({ clientId: service.id });
  assert.deepEqual(
    consents.map((c) => [c.kind, c.status, c.patientId]),
    [['service', 'active', 'hold-1']],
    'recorded as the API records a subscription',
  );

  await page.getByRole('link', { name: 'Apps and services with access' }).click();
  await page.getByRole('region', { name: 'Services you subscribe to' }).getByRole('row', { name: /Lab sync/ }).waitFor();
  await page.getByRole('link', { name: 'Subscribe to services' }).click();
  await page.getByRole('link', { name: 'Unsubscribe: Lab sync' }).click();
  await page.getByRole('heading', { name: 'Unsubscribe from Lab sync?' }).waitFor();
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.getByRole('status').filter({ hasText: 'You unsubscribed from Lab sync' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/portal/my-data/services');
  await page.getByRole('link', { name: 'Subscribe: Lab sync' }).waitFor();

  assert.deepEqual(await observationIds(token), [], 'after unsubscribing, the same token sees nothing of the holder');
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test("a holder shares with an organization, whose members then see the holder's records, and stops sharing", { skip: NO_CHROMIUM }, async () => {
  await ready();
  const doctorToken = (await signIn(file.server.baseUrl, viewerId, doctor, 'openid user/*.rs')).access_token;
  const holderRecord = `/Observation/${observations['hold-1'] ?? ''}`;
  assert.equal((await fhirGet(holderRecord, doctorToken)).status, 404, 'not shared yet');

  const page = await portalPage(holder, '/portal/my-data/sharing');
  const errors = watchForPageErrors(page);
  await page.reload();
  const find = page.getByRole('region', { name: 'Find an organization' });
  assert.deepEqual(await find.locator('tbody th').allTextContents(), ['Green Valley Clinic', 'Cardiology (a team of Green Valley Clinic)', 'Riverside Hospital'], 'every organization, each with its teams');
  await page.getByLabel('Organization name').fill('valley clinic');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL((url) => url.searchParams.get('q') === 'valley clinic');
  assert.deepEqual(await find.locator('tbody th').allTextContents(), ['Green Valley Clinic', 'Cardiology (a team of Green Valley Clinic)']);

  await page.getByRole('link', { name: 'Share with Green Valley Clinic', exact: true }).click();
  await page.getByRole('heading', { name: 'Share your records with Green Valley Clinic?' }).waitFor();
  await page.getByText('Members of Green Valley Clinic can see your records').waitFor();
  await page.getByRole('button', { name: 'Share my records' }).click();
  await page.getByRole('status').filter({ hasText: 'You share your records with Green Valley Clinic.' }).waitFor();
  await page.getByRole('region', { name: 'Organizations you share with' }).getByRole('row', { name: /Green Valley Clinic/ }).waitFor();
  await screenshot(page, 'my-data-sharing');
  assert.equal((await fhirGet(holderRecord, doctorToken)).status, 200, "a member of the organization sees the holder's record");

  await page.getByRole('link', { name: 'Stop sharing with Green Valley Clinic' }).click();
  await page.getByRole('heading', { name: 'Stop sharing with Green Valley Clinic?' }).waitFor();
  await page.getByRole('button', { name: 'Stop sharing' }).click();
  await page.getByRole('status').filter({ hasText: 'You no longer share your records with Green Valley Clinic.' }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Organizations you share with' }).getByText('You share with no organization.').count(), 1);
  assert.equal((await fhirGet(holderRecord, doctorToken)).status, 404, 'stopping takes effect on the next request');
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('the pages are for account holders: a developer-only account gets the 403 page', async () => {
  await ready();
  const dev = await signedIn('dev@example.org');
  for (const path of ['/portal/my-data', '/portal/my-data/services', '/portal/my-data/sharing']) {
    const res = await dev.get(path);
    assert.equal(res.status, 403, path);
    assert.match(res.text, /role="alert">This page is for accounts with the role patient/);
  }
  const res = await dev.post(`/portal/my-data/services/${service.id}`, { csrf: await csrfOf(dev, '/portal') });
  assert.equal(res.status, 403);
  const devId = (await file.server.fhirkeep.auth.accounts.findByEmail('dev@example.org'))?.id;
  assert.deepEqual(await file.server.fhirkeep.consents.list({ clientId: service.id, accountId: devId }), [], 'nothing recorded');
});

test("another holder's consent is missing (404) to see, to confirm and to revoke", async () => {
  await ready();
  const { accounts } = file.server.fhirkeep.auth;
  const otherId = (await accounts.findByEmail('other@example.org'))?.id ?? '';
  const theirs = await file.server.fhirkeep.consents.grant({ kind: 'organization', accountId: otherId, organizationId: clinicId }, otherId);
  const me = await signedIn(holder.email);
  assert.equal((await me.get(`/portal/my-data/access/${theirs.id}/revoke`)).status, 404);
  const res = await me.post(`/portal/my-data/access/${theirs.id}/revoke`, { csrf: await csrfOf(me, '/portal/my-data'), from: 'access' });
  assert.equal(res.status, 404);
  assert.match(res.text, /There is no consent/);
  assert.equal((await file.server.fhirkeep.consents.find(theirs.id))?.status, 'active', 'still in force');
  assert.doesNotMatch((await me.get('/portal/my-data')).text, new RegExp(theirs.id), "never listed to another holder");
  assert.equal((await me.get('/portal/my-data/access/not-a-consent/revoke')).status, 404);
});

test('a form without its CSRF token is refused (403) and changes nothing', async () => {
  await ready();
  const me = await signedIn(holder.email);
  const mine = await file.server.fhirkeep.consents.grant({ kind: 'service', accountId: (await file.server.fhirkeep.auth.accounts.findByEmail(holder.email))?.id, clientId: service.id });
  assert.equal((await me.post(`/portal/my-data/access/${mine.id}/revoke`, { from: 'access' })).status, 403);
  assert.equal((await file.server.fhirkeep.consents.find(mine.id))?.status, 'active', 'not revoked');
  assert.equal((await me.post(`/portal/my-data/sharing/${clinicId}`, {})).status, 403);
  assert.equal((await me.post(`/portal/my-data/services/${service.id}`, { csrf: 'forged' })).status, 403);
  // With its token, the same form works: the refusal was the token's.
  const done = await me.post(`/portal/my-data/access/${mine.id}/revoke`, { from: 'services', csrf: await csrfOf(me, '/portal/my-data') });
  assert.equal(done.location, `/portal/my-data/services?unsubscribed=${mine.id}`);
  assert.equal((await file.server.fhirkeep.consents.find(mine.id))?.status, 'inactive');
});

test("a refused consent shows the server's own message and status: a client that is no service, a withdrawn service, no such organization", async () => {
  await ready();
  const me = await signedIn(holder.email);
  const csrf = await csrfOf(me, '/portal/my-data');
  const wrongType = await me.post(`/portal/my-data/services/${appId}`, { csrf });
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.text, /role="alert">client: a service consent is given to a service client, and [^ ]+ is a smart client/);
  assert.equal((await me.get(`/portal/my-data/services/${appId}`)).status, 404, 'an app is not offered as a service');
  const withdrawn = await me.post(`/portal/my-data/services/${goneId}`, { csrf });
  assert.equal(withdrawn.status, 400);
  assert.match(withdrawn.text, /role="alert">client: client [^ ]+ is revoked/);
  assert.equal((await me.get(`/portal/my-data/services/${goneId}`)).status, 404, 'a withdrawn service is not offered');
  assert.equal((await me.get('/portal/my-data/sharing/no-such-org')).status, 404);
  const noOrg = await me.post('/portal/my-data/sharing/no-such-org', { csrf });
  assert.equal(noOrg.status, 400);
  assert.match(noOrg.text, /role="alert">organization: there is no organization no-such-org/);
  const holderId = (await file.server.fhirkeep.auth.accounts.findByEmail(holder.email))?.id;
  const recorded = await file.server.fhirkeep.consents.list({ accountId: holderId });
  assert.deepEqual(recorded.filter((c) => c.clientId === goneId || (c.clientId === appId && c.kind === 'service')), [], 'a refused subscription records nothing');
});

test('the directory API: services to subscribe to with their access in plain words, organizations by name, names behind consent ids', async () => {
  await ready();
  const api = (path: string, cookie?: string) =>
    fetch(`${file.server.baseUrl}${path}`, { headers: cookie === undefined ? {} : { cookie } }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
  assert.equal((await api('/api/directory/services')).status, 401, 'a session is needed');
  const me = await signedIn(holder.email);
  const cookie = me.cookieHeader();
  const services = await api('/api/directory/services', cookie);
  assert.equal(services.status, 200);
  assert.deepEqual(services.json, {
    services: [
      { client_id: service.id, client_name: 'Lab sync', type: 'service', revoked: false, access: ['Observation records you own, created after 1 Jan 2020', 'It cannot add, change or delete anything'] },
    ],
    truncated: false,
  });
  assert.deepEqual((await api('/api/directory/services?q=nothing', cookie)).json, { services: [], truncated: false });
  assert.equal((await api('/api/directory/services?unknown=1', cookie)).status, 400);
  const orgs = (await api('/api/directory/organizations?q=RIVER', cookie)).json as { organizations: { name: string; kind: string }[] };
  assert.deepEqual(orgs.organizations.map((o) => [o.name, o.kind]), [['Riverside Hospital', 'organization']]);
  const app = await api(`/api/directory/clients/${appId}`, cookie);
  assert.equal(app.json.client_name, 'Weight diary');
  assert.equal((await api('/api/directory/clients/nope', cookie)).status, 404);
  assert.equal(((await api(`/api/directory/organizations/${clinicId}`, cookie)).json as { name: string }).name, 'Green Valley Clinic');
  assert.equal((await api('/api/directory/organizations/%00', cookie)).status, 404);
});

test('a subscription whose service changed its filter asks to be confirmed again, and one to a withdrawn service says it receives nothing', async () => {
  await ready();
  const { clients, accessFilters, accounts } = file.server.fhirkeep.auth;
  const stepsId = (await clients.register({ type: 'service', name: 'Step counter' })).client.id;
  const holderId = (await accounts.findByEmail(holder.email))?.id;
  const consent = await file.server.fhirkeep.consents.grant({ kind: 'service', accountId: holderId, clientId: stepsId });
  const me = await signedIn(holder.email);
  const row = (text: string) => /<tr><th scope="row">Step counter<\/th>.*?<\/tr>/s.exec(text)?.[0] ?? '';
  assert.doesNotMatch(row((await me.get('/portal/my-data')).text), /class="notice"/);

  await accessFilters.setAccessFilter(stepsId, { filter: { format: 'fhir/Observation' }, writeMode: 'none' });
  assert.match(row((await me.get('/portal/my-data')).text), /<p class="notice">Its data access changed since you subscribed: it receives nothing until you subscribe again.<\/p>/);
  const offer = row((await me.get('/portal/my-data/services')).text);
  assert.match(offer, /<li>Observation records you own<\/li>/, 'the new filter, in plain words');
  assert.match(offer, new RegExp(`href="/portal/my-data/services/${stepsId}"[^>]*>Review and subscribe again`));
  const confirmed = await me.post(`/portal/my-data/services/${stepsId}`, { csrf: await csrfOf(me, '/portal/my-data') });
  assert.equal(confirmed.location, `/portal/my-data/services?subscribed=${consent.id}`, 'the same consent, confirmed');
  const after = await file.server.fhirkeep.consents.find(consent.id);
  assert.equal(after?.filterVersion, after?.currentFilterVersion, 'confirmed for the current filter');
  assert.match(row((await me.get(confirmed.location ?? '')).text), /Subscribed since/);

  await clients.revoke(stepsId);
  assert.match(row((await me.get('/portal/my-data')).text), /<p class="notice">It has been withdrawn by its provider and receives nothing.<\/p>/);
  assert.doesNotMatch((await me.get('/portal/my-data/services')).text, /Step counter/, 'no longer offered');
});
