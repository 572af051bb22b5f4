import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { TestBrowser, inputValue } from './support/browser.js';

/**
 * The API debugger and the statistics pages (issue 9: "run a request in the debugger, see it in
 * statistics"): in a real browser under the portal's strict CSP, and with fetch for the refusals
 * (another developer's application, a patient, a form without its CSRF token).
 */
let server: TestServer;
const browser = chromiumForThisFile();
const PASSWORD = 'a long portal password';
let appId: string;

before(async () => {
  server = await startTestServer();
  const { accounts, clients } = server.fhirkeep.auth;
  const owner = await accounts.create({ email: 'owner@example.org', password: PASSWORD, roles: ['developer'] });
  await accounts.create({ email: 'other@example.org', password: PASSWORD, roles: ['developer'] });
  await accounts.create({ email: 'patient@example.org', password: PASSWORD, roles: ['patient'], patientId: 'p-1' });
  await accounts.create({ email: 'admin@example.org', password: PASSWORD, roles: ['admin'] });
  appId = (await clients.register({ type: 'service', name: 'Lab feed', scopes: ['system/*.rs'], ownerAccount: owner.id })).client.id;
});
after(() => server.close());

async function signedIn(email: string): Promise<TestBrowser> {
  const visitor = new TestBrowser(server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  const res = await visitor.post('/portal/sign-in', { email, password: PASSWORD, next: '/portal', csrf });
  assert.equal(res.status, 303);
  return visitor;
}

test('a developer runs requests in the debugger, then sees them in the statistics: charts, table and latest errors', { skip: NO_CHROMIUM }, async () => {
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  await page.goto(`${server.baseUrl}/portal/apps/${appId}/debugger`);
  await page.getByLabel('Email').fill('owner@example.org');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API debugger · Lab feed' }).waitFor();

  await page.getByLabel('Method').selectOption('GET');
  await page.getByLabel('Path').fill('/fhir/Patient');
  await page.getByLabel('Headers').fill('Prefer: handling=strict');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('heading', { name: 'Response' }).waitFor();
  assert.equal(await page.locator('#response-status').textContent(), '200 OK');
  const bundle = JSON.parse((await page.locator('#response-body').textContent()) ?? '') as { resourceType: string };
  assert.equal(bundle.resourceType, 'Bundle');
  assert.match((await page.locator('#response-body').textContent()) ?? '', /^\{\n {2}"resourceType": "Bundle"/, 'pretty-printed');
  assert.match((await page.locator('#response-headers').textContent()) ?? '', /content-type\s*application\/fhir\+json/);
  assert.equal(await page.getByLabel('Path').inputValue(), '/fhir/Patient', 'the form keeps what was sent');
  await screenshot(page, 'portal-debugger');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.documentElement.scrollWidth <= 390);
  await page.setViewportSize({ width: 1200, height: 900 });

  await page.getByLabel('Path').fill('/fhir/NoSuchType?name=Secret');
  await page.getByLabel('Headers').fill('');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('#response-status').filter({ hasText: '404 Not Found' }).waitFor();
  const outcome = JSON.parse((await page.locator('#response-body').textContent()) ?? '') as { resourceType: string; issue: { diagnostics: string }[] };
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.match(outcome.issue[0]?.diagnostics ?? '', /NoSuchType/);
  await screenshot(page, 'portal-debugger-error');

  await page.getByLabel('Path').fill('/api/clients');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('alert').filter({ hasText: 'FHIR API only' }).waitFor();
  await page.getByLabel('Path').fill('/fhir/Patient');
  await page.getByLabel('Headers').fill('Authorization: Bearer mine');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('alert').filter({ hasText: "the debugger sends the application's own credential" }).waitFor();

  await page.getByRole('link', { name: 'Statistics' }).click();
  await page.getByRole('heading', { name: 'Statistics · Lab feed' }).waitFor();
  const today = new Date().toISOString().slice(0, 10);
  const row = page.locator('tr', { has: page.getByRole('rowheader', { name: today }) });
  assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 3), ['2', '1', '404: 1'], 'two requests ran; the refused inputs sent nothing');
  const latest = page.locator('#latest-errors tbody tr');
  assert.equal(await latest.count(), 1);
  assert.match((await latest.first().textContent()) ?? '', /GET \/fhir\/NoSuchType\?name=….*404.*NoSuchType/s);
  assert.doesNotMatch((await page.content()) ?? '', /Secret/, 'no query value');
  // The charts draw from the JSON API: two uPlot canvases.
  await page.locator('#statistics-charts canvas').nth(1).waitFor();
  assert.equal(await page.locator('#statistics-charts .uplot').count(), 2);
  assert.equal(await page.locator('[data-chart-status]').textContent(), '', 'no chart error');
  await screenshot(page, 'portal-statistics');
  // Readable on a phone: nothing wider than the screen (the charts follow the width).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.documentElement.scrollWidth <= 390);
  await screenshot(page, 'portal-statistics-phone');
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.getByLabel('Period').selectOption('7');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('heading', { name: 'The last 7 days' }).waitFor();
  await page.locator('#statistics-charts canvas').nth(1).waitFor();
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('without JavaScript the statistics page has every number in its table', async () => {
  const dev = await signedIn('owner@example.org');
  const res = await dev.get(`/portal/apps/${appId}/statistics?days=7`);
  assert.equal(res.status, 200);
  assert.match(res.text, /<th scope="col">p95 ms<\/th>/);
  assert.doesNotMatch(res.text, /<script>|style="/, 'nothing inline');
  assert.match(res.text, /<link rel="stylesheet" href="\/portal\/assets\/uplot\.css\?v=/);
  const script = /src="(\/portal\/assets\/statistics-chart\.js\?v=[^"]+)"/.exec(res.text)?.[1];
  assert.ok(script, 'the chart script is an asset');
  const asset = await fetch(`${server.baseUrl}${script}`);
  assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  const uplot = await fetch(`${server.baseUrl}${/src="(\/portal\/assets\/uplot\.js\?v=[^"]+)"/.exec(res.text)?.[1] ?? ''}`);
  assert.equal(uplot.status, 200);
  assert.match(await uplot.text(), /uPlot/);
  assert.equal((await dev.get(`/portal/apps/${appId}/statistics?days=abc`)).status, 400);
});

test("another developer's application is not found, a patient may not, and the debugger form needs its CSRF token", async () => {
  const other = await signedIn('other@example.org');
  for (const path of ['statistics', 'debugger']) {
    const res = await other.get(`/portal/apps/${appId}/${path}`);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(res.text, /Lab feed/);
  }
  const otherCsrf = inputValue((await other.get('/portal')).text, 'csrf') ?? '';
  assert.equal((await other.post(`/portal/apps/${appId}/debugger`, { csrf: otherCsrf, method: 'GET', path: '/fhir/Patient' })).status, 404);
  const patient = await signedIn('patient@example.org');
  assert.equal((await patient.get(`/portal/apps/${appId}/statistics`)).status, 403);
  assert.equal((await patient.get(`/portal/apps/${appId}/debugger`)).status, 403);
  const admin = await signedIn('admin@example.org');
  assert.equal((await admin.get(`/portal/apps/${appId}/statistics`)).status, 200, 'an admin sees every application');
  const owner = await signedIn('owner@example.org');
  const requestsToday = async () => (JSON.parse((await owner.get(`/api/clients/${appId}/statistics?days=1`)).text) as { days: { requests: number }[] }).days[0]?.requests;
  const before = (await requestsToday()) ?? NaN;
  assert.equal((await owner.post(`/portal/apps/${appId}/debugger`, { method: 'GET', path: '/fhir/Patient' })).status, 403, 'no CSRF token');
  const csrf = inputValue((await owner.get(`/portal/apps/${appId}/debugger`)).text, 'csrf') ?? '';
  const ran = await owner.post(`/portal/apps/${appId}/debugger`, { csrf, method: 'GET', path: '/fhir/Patient', headers: '', body: '' });
  assert.equal(ran.status, 200);
  assert.match(ran.text, /id="response-status" class="success">200 OK/);
  const bad = await owner.post(`/portal/apps/${appId}/debugger`, { csrf, method: 'GET', path: '/fhir/Patient', headers: 'no colon here', body: '' });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /role="alert">Headers, line 1: write a header as Name: value/);
  const signedOut = new TestBrowser(server.baseUrl);
  assert.match((await signedOut.get(`/portal/apps/${appId}/debugger`)).location ?? '', /^\/portal\/sign-in\?next=/);
  assert.equal(await requestsToday(), before + 1, 'the run counted; the refused one sent nothing');
});
