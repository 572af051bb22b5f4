import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { inputValue, TestBrowser } from './support/browser.js';
import { seedHolders } from './support/holders.js';
import { APP_REDIRECT, signIn } from './support/sign-in.js';

/**
 * The data access filter editor (/portal/apps/:id/filter, docs/portal/portal-filter.md) in a real
 * browser: the guided editor with live taxonomy search, expert mode checked live by the server,
 * the save step asking whether to log out the app's users, and re-consent after every change.
 */
const file = serverForThisFile();
const browser = chromiumForThisFile();
const PASSWORD = 'a long portal password';
const HOLDER = { email: 'holder@example.org', password: PASSWORD };
const SCOPE = 'openid user/*.rs';

let appIds: { diary: string; viewer: string } | undefined;
async function setup() {
  if (appIds !== undefined) return appIds;
  const { accounts, clients } = file.server.fhirkeep.auth;
  const dev = await accounts.create({ email: 'dev@example.org', password: PASSWORD, roles: ['developer'] });
  await accounts.create({ email: 'other@example.org', password: PASSWORD, roles: ['developer'] });
  await accounts.create({ email: 'admin@example.org', password: PASSWORD, roles: ['admin'] });
  await accounts.create({ email: 'pat@example.org', password: PASSWORD, roles: ['patient'], patientId: 'someone' });
  await accounts.create({ ...HOLDER, roles: ['patient'], patientId: 'h1' });
  await seedHolders(file.server, ['h1']);
  const register = async (name: string) =>
    (await clients.register({ type: 'smart', name, isPublic: true, redirectUris: [APP_REDIRECT], scopes: SCOPE.split(' '), ownerAccount: dev.id })).client.id;
  appIds = { diary: await register('Weight diary'), viewer: await register('Patient viewer') };
  return appIds;
}

const filterUrl = (id: string) => `${file.server.baseUrl}/portal/apps/${id}/filter`;

async function signedInPage(email: string, path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  await page.goto(`${file.server.baseUrl}/portal/sign-in?next=${encodeURIComponent(path)}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return { page, errors };
}

/** The API's view of the filter, with the page's own session (the same JSON the CLI prints). */
async function apiFilter(page: Page, id: string): Promise<Record<string, unknown>> {
  const res = await page.context().request.get(`${file.server.baseUrl}/api/clients/${id}/filter`);
  assert.equal(res.status(), 200);
  return (await res.json()) as Record<string, unknown>;
}

async function saveChoosing(page: Page, choice: 'Yes, log them out now' | 'No, keep them signed in', app: string, shot?: string): Promise<string> {
  await page.getByRole('button', { name: 'Save…' }).click();
  await page.getByRole('heading', { name: `Save the data access filter of ${app}?` }).waitFor();
  if (shot !== undefined) await screenshot(page, shot);
  await page.getByLabel(choice).check();
  await page.getByRole('button', { name: 'Save the filter' }).click();
  const notice = page.getByRole('status').filter({ hasText: 'Saved version' });
  await notice.waitFor();
  return (await notice.textContent()) ?? '';
}

test('guided editor: search the taxonomy by text, pick a content type, set a time window, save; the API shows it', { skip: NO_CHROMIUM }, async () => {
  const { diary } = await setup();
  const { page, errors } = await signedInPage('dev@example.org', `/portal/apps/${diary}/filter`);
  await page.getByRole('heading', { name: 'Data access filter: Weight diary' }).waitFor();
  await page.getByText('No filter: the app reaches what the users’ consents and its scopes allow.').first().waitFor();

  await page.getByLabel('Only records matching this block').check();
  await page.getByLabel('Search content types').fill('weight');
  // Live results, fetched from GET /api/content-types by the page's script: no form was posted.
  const weight = page.getByRole('checkbox', { name: /^Body weight \(body\/weight, Observation\)/ });
  await weight.waitFor();
  await weight.check();
  await page.getByLabel('Created after').fill('2024-01-01');
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByText('Body weight records you own or that are shared with you, created after 1 Jan 2024').waitFor();
  assert.ok(await page.getByRole('checkbox', { name: /^Body weight/ }).isChecked(), 'the pick survives the round trip');
  await screenshot(page, 'portal-filter-guided');

  const notice = await saveChoosing(page, 'Yes, log them out now', 'Weight diary', 'portal-filter-confirm');
  assert.match(notice, /Saved version 2\. No user authorization was active: nobody had to be logged out\./);
  const saved = await apiFilter(page, diary);
  assert.deepEqual([saved.filter, saved.filter_version], [{ content: 'body/weight', 'created-after': '2024-01-01' }, 2]);
  assert.deepEqual(saved.description, ['Body weight records you own or that are shared with you, created after 1 Jan 2024']);
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('expert mode: the same filter as JSON, checked live with the server’s messages, fixed and saved; back in guided mode it is the same', { skip: NO_CHROMIUM }, async () => {
  const { diary } = await setup();
  const { page, errors } = await signedInPage('dev@example.org', `/portal/apps/${diary}/filter`);
  await page.getByRole('button', { name: 'Edit as JSON (expert mode)' }).click();
  const json = page.getByLabel('Filter JSON');
  assert.deepEqual(JSON.parse(await json.inputValue()), { content: 'body/weight', 'created-after': '2024-01-01' }, 'the same filter');
  await screenshot(page, 'portal-filter-expert');
  let posted = 0;
  page.on('request', (r) => {
    if (r.isNavigationRequest()) posted++;
  });

  // Typed, not submitted: the script asks POST /api/clients/:id/filter/check and shows its answer.
  await json.fill('{"content": "body/weight",');
  await page.getByRole('alert').filter({ hasText: /^filter: not valid JSON: / }).waitFor();
  await json.fill('{"content": "body/nonsense"}');
  await page.getByRole('alert').filter({ hasText: 'content: unknown content "body/nonsense"' }).waitFor();
  assert.equal(await json.getAttribute('aria-invalid'), 'true');
  await json.fill('{"owner": "self", "$or": [{"content": "body/weight"}, {"content": "body/height"}]}');
  await page.getByText('Valid. Saving it makes every user of the app confirm again.').waitFor();
  await page.getByText('Body height records you own').waitFor();
  assert.equal(posted, 0, 'nothing was posted: the answers came live');

  const notice = await saveChoosing(page, 'No, keep them signed in', 'Weight diary');
  assert.match(notice, /Saved version 3\. Users stay signed in\. Every user must confirm the new filter/);
  const saved = await apiFilter(page, diary);
  assert.deepEqual(saved.filter, { owner: 'self', $or: [{ content: 'body/weight' }, { content: 'body/height' }] });

  // The guided editor writes the shared `owner` into each block; unedited, it saves nothing new.
  await page.getByRole('button', { name: 'Edit as JSON (expert mode)' }).click();
  await page.getByRole('button', { name: 'Edit with the guided editor' }).click();
  await page.getByRole('heading', { name: 'Block 2' }).waitFor();
  assert.ok(await page.getByRole('checkbox', { name: /^Body weight/ }).isChecked());
  assert.ok(await page.getByRole('checkbox', { name: /^Body height/ }).isChecked());
  assert.equal(await page.getByLabel('Only the user’s own records').nth(1).isChecked(), true);
  await page.getByRole('button', { name: 'Save…' }).click();
  await page.getByRole('status').filter({ hasText: 'Nothing changed' }).waitFor();
  assert.equal((await apiFilter(page, diary)).filter_version, 3);
  assert.deepEqual(errors, []);
});

test('saving asks whether to log out the app’s users; either way each must confirm the new filter at their next authorization', { skip: NO_CHROMIUM }, async () => {
  const { viewer } = await setup();
  const base = file.server.baseUrl;
  const readPatient = async (token: string | undefined) => (await fetch(`${base}/fhir/Patient/h1`, { headers: { authorization: `Bearer ${token ?? ''}` } })).status;
  let consentPage = '';
  const authorize = async () => {
    consentPage = '';
    return (await signIn(base, viewer, HOLDER, SCOPE, (p) => (consentPage = p.text))).access_token;
  };
  const first = await authorize();
  assert.match(consentPage, /Allow access\?/, 'first use asks');
  assert.equal(await readPatient(first), 200);

  const { page, errors } = await signedInPage('dev@example.org', `/portal/apps/${viewer}/filter?mode=expert`);
  await page.getByLabel('Filter JSON').fill('{"format": "fhir/Patient"}');
  await page.getByText('Valid.').waitFor();
  assert.match(await saveChoosing(page, 'No, keep them signed in', 'Patient viewer'), /Users stay signed in/);
  assert.equal(await readPatient(first), 404, 'still signed in (not 401), but the outdated consent shares nothing');

  const second = await authorize();
  assert.match(consentPage, /data access changed since you approved it: confirm again/, 'the consent page shows again');
  assert.equal(await readPatient(second), 200);
  assert.equal(await readPatient(first), 200, 'confirmed again, the kept token sees the data again');

  await page.getByRole('button', { name: 'Edit as JSON (expert mode)' }).click();
  await page.getByLabel('Filter JSON').fill('{"format": ["fhir/Patient", "fhir/Observation"]}');
  await page.getByText('Valid. Saving').waitFor();
  assert.match(await saveChoosing(page, 'Yes, log them out now', 'Patient viewer'), /2 user authorizations were revoked: those users are logged out/);
  assert.equal(await readPatient(first), 401, 'logged out: the token stopped working');
  assert.equal(await readPatient(second), 401);
  const third = await authorize();
  assert.match(consentPage, /data access changed since you approved it/);
  assert.equal(await readPatient(third), 200);
  assert.deepEqual(errors, []);
});

/** A portal session in the fetch-level browser (no script: what a browser without JavaScript gets). */
async function portalBrowser(email: string): Promise<TestBrowser> {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  const res = await visitor.post('/portal/sign-in', { email, password: PASSWORD, next: '/portal', csrf });
  assert.equal(res.status, 303);
  return visitor;
}

test('without JavaScript: Search, Check and Save post the form and the page shows the server’s messages', async () => {
  const { viewer } = await setup();
  const dev = await portalBrowser('dev@example.org');
  const path = `/portal/apps/${viewer}/filter`;
  const editor = await dev.get(path);
  assert.equal(editor.status, 200);
  assert.doesNotMatch(editor.text, /<script>|style="| on\w+="/, 'nothing inline');
  const csrf = inputValue(editor.text, 'csrf') ?? '';
  const guided = { csrf, mode: 'guided', filter: 'blocks', blocks: '1', write_mode: 'any' };

  const found = await dev.post(path, { ...guided, 'b0.q': 'weight', action: 'search:0' });
  assert.match(found.text, /name="b0\.content" value="body\/weight"(?! checked)/, 'results offered, not yet picked');
  const checked = await dev.post(path, { ...guided, 'b0.content': 'body/weight', 'b0.created-after': '2024-02-30', action: 'check' });
  assert.equal(checked.status, 400);
  assert.match(checked.text, /role="alert">created-after: &quot;2024-02-30&quot; is not an ISO 8601 date/);
  const expert = { csrf, mode: 'expert', write_mode: 'none' };
  const typo = await dev.post(path, { ...expert, filter_json: '{"content": "body/nonsense"}', action: 'save' });
  assert.equal(typo.status, 400);
  assert.match(typo.text, /role="alert">content: unknown content &quot;body\/nonsense&quot;/);

  const confirm = await dev.post(path, { ...expert, filter_json: '{"content": "body/heartrate"}', action: 'save' });
  assert.match(confirm.text, /Log out all users of Patient viewer now\?/);
  const carried = { csrf, filter_json: inputValue(confirm.text, 'filter_json')?.replaceAll('&quot;', '"') ?? '', write_mode: 'none', mode: 'expert', action: 'save' };
  assert.deepEqual(JSON.parse(carried.filter_json), { content: 'body/heartrate' });
  const unanswered = await dev.post(`${path}/save`, carried);
  assert.match(unanswered.text, /role="alert">Choose whether to log out all users now\./);
  const version = (await file.server.fhirkeep.auth.accessFilters.get(viewer)).filterVersion;
  const saved = await dev.post(`${path}/save`, { ...carried, logout: 'yes' });
  assert.equal(saved.status, 303);
  assert.match(saved.location ?? '', new RegExp(`^${path}\\?saved=${version + 1}&revoked=\\d+&logout=yes$`));
  const after = await file.server.fhirkeep.auth.accessFilters.get(viewer);
  assert.deepEqual([after.filter, after.writeMode], [{ content: 'body/heartrate' }, 'none']);
});

test('refused: another developer’s app is 404, a patient 403, a save without its CSRF token 403; only an admin’s form sends the reach', async () => {
  const { diary } = await setup();
  const path = `/portal/apps/${diary}/filter`;
  const other = await portalBrowser('other@example.org');
  assert.equal((await other.get(path)).status, 404);
  const otherCsrf = inputValue((await other.get('/portal')).text, 'csrf') ?? '';
  const fields = { filter_json: '{}', write_mode: 'any', mode: 'expert', logout: 'yes', action: 'save' };
  assert.equal((await other.post(`${path}/save`, { ...fields, csrf: otherCsrf })).status, 404, 'nor save it');
  assert.equal((await other.post(path, { ...fields, csrf: otherCsrf, action: 'check' })).status, 404, 'nor check it');
  assert.equal((await (await portalBrowser('pat@example.org')).get(path)).status, 403);

  const before = await file.server.fhirkeep.auth.accessFilters.get(diary);
  const dev = await portalBrowser('dev@example.org');
  const editor = await dev.get(path);
  assert.doesNotMatch(editor.text, /<select id="reach"/, 'a developer sees the reach, cannot choose it');
  const csrf = inputValue(editor.text, 'csrf') ?? '';
  const noToken = await dev.post(`${path}/save`, fields);
  assert.equal(noToken.status, 403);
  assert.match(noToken.text, /did not come from this site/);
  assert.equal((await file.server.fhirkeep.auth.accessFilters.get(diary)).filterVersion, before.filterVersion, 'nothing saved');
  assert.equal((await dev.post(`${path}/save`, { ...fields, csrf, reach: 'all' })).status, 303);
  assert.deepEqual(
    [(await file.server.fhirkeep.auth.accessFilters.get(diary)).filter, (await file.server.fhirkeep.auth.accessFilters.get(diary)).reach],
    [{}, 'consented'],
    'a developer’s posted reach is ignored',
  );

  const admin = await portalBrowser('admin@example.org');
  const adminEditor = await admin.get(path);
  assert.match(adminEditor.text, /<select id="reach" name="reach">/);
  const adminCsrf = inputValue(adminEditor.text, 'csrf') ?? '';
  assert.equal((await admin.post(`${path}/save`, { ...fields, csrf: adminCsrf, reach: 'all' })).status, 303);
  assert.equal((await file.server.fhirkeep.auth.accessFilters.get(diary)).reach, 'all');
});
