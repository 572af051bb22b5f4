import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { systemScope } from '../src/access/scope.js';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { inputValue, TestBrowser } from './support/browser.js';

/**
 * The portal's account area (docs/portal/portal-account.md): sign-up as an account holder (with a
 * Patient of their own) or a developer, the account page, and the password change, which signs
 * out every other browser. Every request of this file comes from one address, so it stays under
 * the sign-up throttle's ten attempts (test/portal-sign-up-throttle.test.ts goes past it).
 */
const file = serverForThisFile();
const browser = chromiumForThisFile();
const PASSWORD = 'a long portal password';
const NEW_PASSWORD = 'an even longer portal password';

async function readPatient(id: string): Promise<{ status: number; json: { name?: { text?: string }[] } | undefined }> {
  const res = await file.server.fhirkeep.router.handle({ method: 'GET', path: `Patient/${id}`, query: new URLSearchParams(), body: undefined, contentType: undefined, headers: {}, scope: systemScope('test: read a sign-up Patient') });
  const text = res.body === undefined ? '' : res.body.kind === 'raw' ? res.body.text : JSON.stringify(res.body.value);
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as { name?: { text?: string }[] }) };
}

async function patientCount(): Promise<number> {
  const [row] = await file.server.fhirkeep.database.sql<{ n: number }[]>`select count(*)::int as n from resources where type = 'Patient'`;
  return row?.n ?? 0;
}

async function fillSignUp(page: Page, fields: { role: 'account holder' | 'developer'; name?: string; email: string; password: string; again?: string }): Promise<void> {
  await page.getByLabel(fields.role === 'account holder' ? 'Keeping my health records (account holder)' : 'Developing apps and services (developer)').check();
  await page.getByLabel('Your name').fill(fields.name ?? '');
  await page.getByLabel('Email').fill(fields.email);
  await page.getByLabel('Password', { exact: true }).fill(fields.password);
  await page.getByLabel('Repeat the password').fill(fields.again ?? fields.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

async function signInAt(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${file.server.baseUrl}/portal/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** What a row of the account page's details table says. */
async function detail(page: Page, name: string): Promise<string> {
  return ((await page.getByRole('row', { name: new RegExp(`^${name}`) }).getByRole('cell').textContent()) ?? '').trim();
}

async function waitForEvent(match: (e: { kind: string; outcome: string; accountId?: string | undefined }) => boolean): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if ((await recentSecurityEvents(file.server.fhirkeep.database.sql, 50)).some(match)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('an account holder signs up, lands signed in, and their account page shows the patient role and their own Patient', { skip: NO_CHROMIUM }, async () => {
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  await page.goto(`${file.server.baseUrl}/portal/sign-in`);
  await page.getByRole('link', { name: 'Create one' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await screenshot(page, 'portal-sign-up');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'on a phone the sign-up form does not scroll sideways');
  await page.setViewportSize({ width: 1200, height: 900 });

  await fillSignUp(page, { role: 'account holder', name: 'Ada Holder', email: 'ada@example.org', password: 'too short' });
  await page.getByRole('alert').filter({ hasText: 'The password must have at least 12 characters' }).waitFor();
  assert.equal(await page.getByLabel('Email').inputValue(), 'ada@example.org', 'what was entered comes back');
  assert.equal(await page.getByLabel('Your name').inputValue(), 'Ada Holder');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'never the password');
  assert.ok(await page.getByLabel('Keeping my health records (account holder)').isChecked());

  await fillSignUp(page, { role: 'account holder', name: 'Ada Holder', email: 'ada@example.org', password: PASSWORD });
  await page.getByRole('heading', { name: 'Welcome, Ada Holder' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/portal');
  const sections = await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents();
  assert.deepEqual(sections, ['Home', 'My data', 'Account']);

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.equal(await detail(page, 'Email'), 'ada@example.org');
  assert.equal(await detail(page, 'Name'), 'Ada Holder');
  assert.equal(await detail(page, 'Roles'), 'patient');
  assert.equal(await detail(page, 'Practitioner id'), 'none');
  const patientId = await detail(page, 'Patient id');
  assert.match(patientId, /^[0-9a-f-]{36}$/);
  await screenshot(page, 'portal-account');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'on a phone the account page does not scroll sideways');
  await page.setViewportSize({ width: 1200, height: 900 });

  const patient = await readPatient(patientId);
  assert.equal(patient.status, 200);
  assert.equal(patient.json?.name?.[0]?.text, 'Ada Holder');
  const [row] = await file.server.fhirkeep.database.sql<{ owner_account: string | null }[]>`select owner_account from resources where type = 'Patient' and id = ${patientId}`;
  const account = await file.server.fhirkeep.auth.accounts.findByEmail('ada@example.org');
  assert.equal(row?.owner_account, account?.id, 'the record is the new account\'s from its first version');
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('a developer signs up and gets the developer role, no Patient, and the Applications section', { skip: NO_CHROMIUM }, async () => {
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  const before = await patientCount();
  await page.goto(`${file.server.baseUrl}/portal/sign-up`);
  await fillSignUp(page, { role: 'developer', email: 'dev@example.org', password: PASSWORD });
  await page.getByRole('heading', { name: 'Welcome' }).waitFor();
  const sections = await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents();
  assert.deepEqual(sections, ['Home', 'Applications', 'Account']);
  await page.goto(`${file.server.baseUrl}/portal/account`);
  assert.equal(await detail(page, 'Roles'), 'developer');
  assert.equal(await detail(page, 'Patient id'), 'none');
  assert.equal(await patientCount(), before, 'a developer has no Patient');
  // Signed in, the sign-up form sends home.
  await page.goto(`${file.server.baseUrl}/portal/sign-up`);
  assert.equal(new URL(page.url()).pathname, '/portal');
  assert.deepEqual(errors, []);
});

test('the account page lists the organizations and teams the account belongs to', async () => {
  const { accounts } = file.server.fhirkeep.auth;
  const account = await accounts.create({ email: 'member@example.org', password: PASSWORD, roles: ['practitioner'], practitionerId: 'pr-member', displayName: 'Dr Member' });
  const org = await accounts.createOrganization({ name: 'Lakeside Clinic' });
  const team = await accounts.createTeam(org.id, 'Night shift');
  await accounts.addMember(org.id, account.id);
  await accounts.addMember(team.id, account.id, 'manager');
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  await visitor.post('/portal/sign-in', { email: 'member@example.org', password: PASSWORD, next: '/portal/account', csrf });
  const page = await visitor.get('/portal/account');
  assert.equal(page.status, 200);
  assert.match(page.text, /<td>Lakeside Clinic<\/td><td>organization<\/td><td>member<\/td>/);
  assert.match(page.text, /<td>Night shift<\/td><td>team<\/td><td>manager<\/td>/);
  assert.match(page.text, /<code>pr-member<\/code>/);

  const api = await fetch(`${file.server.baseUrl}/api/account`, { headers: { cookie: visitor.cookieHeader() ?? '' } });
  assert.equal(api.status, 200);
  const body = (await api.json()) as Record<string, unknown>;
  assert.deepEqual(body, {
    id: account.id,
    email: 'member@example.org',
    roles: ['practitioner'],
    display_name: 'Dr Member',
    practitioner_id: 'pr-member',
    disabled: false,
    // By name, as the account service lists memberships; the shape of GET /api/users/:user.
    organizations: [
      { organization: { id: org.id, kind: 'organization', name: 'Lakeside Clinic' }, role: 'member' },
      { organization: { id: team.id, kind: 'team', parent_id: org.id, name: 'Night shift' }, role: 'manager' },
    ],
  });
  assert.equal((await fetch(`${file.server.baseUrl}/api/account`)).status, 401, 'no session, no account');
  assert.equal((await new TestBrowser(file.server.baseUrl).get('/portal/account')).location, '/portal/sign-in?next=%2Fportal%2Faccount');
});

test('changing the password: a wrong current one, different new ones and a short one are refused on the form; then other browsers are signed out', { skip: NO_CHROMIUM }, async () => {
  const account = await file.server.fhirkeep.auth.accounts.create({ email: 'changer@example.org', password: PASSWORD, roles: ['developer'] });
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  await signInAt(page, 'changer@example.org', PASSWORD);
  await page.getByRole('heading', { name: 'Welcome' }).waitFor();
  const elsewhere = await browser.page();
  await signInAt(elsewhere, 'changer@example.org', PASSWORD);
  await elsewhere.getByRole('heading', { name: 'Welcome' }).waitFor();

  await page.goto(`${file.server.baseUrl}/portal/account`);
  const change = async (current: string, next: string, again = next) => {
    await page.getByLabel('Current password').fill(current);
    await page.getByLabel('New password', { exact: true }).fill(next);
    await page.getByLabel('New password again').fill(again);
    await page.getByRole('button', { name: 'Change password' }).click();
  };
  await change('not my password', NEW_PASSWORD);
  await page.getByRole('alert').filter({ hasText: 'The current password is wrong' }).waitFor();
  await change(PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}!`);
  await page.getByRole('alert').filter({ hasText: 'The two new passwords differ' }).waitFor();
  await change(PASSWORD, 'too short');
  await page.getByRole('alert').filter({ hasText: 'The password must have at least 12 characters' }).waitFor();

  const before = (await page.context().cookies()).find((c) => c.name === 'fhirkeep_session')?.value;
  await change(PASSWORD, NEW_PASSWORD);
  await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
  const after = (await page.context().cookies()).find((c) => c.name === 'fhirkeep_session')?.value;
  assert.ok(after !== undefined && after !== before, 'this browser got a new session');
  assert.ok(await waitForEvent((e) => e.kind === 'password-change' && e.outcome === 'success' && e.accountId === account.id), 'the change is a security event');

  await elsewhere.goto(`${file.server.baseUrl}/portal/account`);
  assert.match(elsewhere.url(), /\/portal\/sign-in\?next=/, 'the other browser is signed out');
  await page.goto(`${file.server.baseUrl}/portal/account`);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();

  const fresh = await browser.page();
  await signInAt(fresh, 'changer@example.org', PASSWORD);
  await fresh.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
  await fresh.getByLabel('Password').fill(NEW_PASSWORD);
  await fresh.getByRole('button', { name: 'Sign in' }).click();
  await fresh.getByRole('heading', { name: 'Welcome' }).waitFor();
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('a sign-up without its CSRF token is refused (403) and makes no account', async () => {
  const visitor = new TestBrowser(file.server.baseUrl);
  const form = await visitor.get('/portal/sign-up');
  assert.equal(form.status, 200);
  const fields = { role: 'developer', name: '', email: 'csrf-signup@example.org', password: PASSWORD, password_again: PASSWORD };
  const refused = await visitor.post('/portal/sign-up', fields);
  assert.equal(refused.status, 403);
  assert.equal(visitor.jar.get('fhirkeep_session'), undefined);
  assert.equal(await file.server.fhirkeep.auth.accounts.findByEmail('csrf-signup@example.org'), undefined);
  // The password form too.
  await file.server.fhirkeep.auth.accounts.create({ email: 'csrf-change@example.org', password: PASSWORD, roles: ['developer'] });
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  await visitor.post('/portal/sign-in', { email: 'csrf-change@example.org', password: PASSWORD, next: '/portal', csrf });
  const change = await visitor.post('/portal/account/password', { current_password: PASSWORD, new_password: NEW_PASSWORD, new_password_again: NEW_PASSWORD });
  assert.equal(change.status, 403);
  await file.server.fhirkeep.auth.accounts.authenticate('csrf-change@example.org', PASSWORD, { ip: '192.0.2.9' });
});

test('a taken email gets the form again with the API\'s message, and no second Patient', async () => {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-up')).text, 'csrf') ?? '';
  const fields = { role: 'patient', name: 'Bea Twice', email: 'twice@example.org', password: PASSWORD, password_again: PASSWORD, csrf };
  assert.equal((await visitor.post('/portal/sign-up', fields)).location, '/portal');
  const patients = await patientCount();
  const other = new TestBrowser(file.server.baseUrl);
  const otherCsrf = inputValue((await other.get('/portal/sign-up')).text, 'csrf') ?? '';
  const again = await other.post('/portal/sign-up', { ...fields, email: 'TWICE@example.org', csrf: otherCsrf });
  assert.equal(again.status, 409);
  assert.match(again.text, /<p class="error" role="alert">An account with the email TWICE@example\.org exists already<\/p>/);
  assert.equal(inputValue(again.text, 'email'), 'TWICE@example.org');
  assert.equal(other.jar.get('fhirkeep_session'), undefined);
  assert.equal(await patientCount(), patients, 'no orphan Patient');
});

test('a sign-up cannot ask for another role, and an account holder must give a name', async () => {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-up')).text, 'csrf') ?? '';
  const admin = await visitor.post('/portal/sign-up', { role: 'admin', name: 'Mallory', email: 'mallory@example.org', password: PASSWORD, password_again: PASSWORD, csrf });
  assert.equal(admin.status, 400);
  assert.match(admin.text, /Choose whether the account is for/);
  assert.equal(await file.server.fhirkeep.auth.accounts.findByEmail('mallory@example.org'), undefined);
  const nameless = await visitor.post('/portal/sign-up', { role: 'patient', name: ' ', email: 'nameless@example.org', password: PASSWORD, password_again: PASSWORD, csrf });
  assert.equal(nameless.status, 400);
  assert.match(nameless.text, /Give your name/);
  const differ = await visitor.post('/portal/sign-up', { role: 'developer', name: '', email: 'differ@example.org', password: PASSWORD, password_again: `${PASSWORD}.`, csrf });
  assert.equal(differ.status, 400);
  assert.match(differ.text, /The two passwords differ/);
  assert.equal(await file.server.fhirkeep.auth.accounts.findByEmail('differ@example.org'), undefined);
});

test('PUT /api/account/password: the same change as the form, for the session\'s own account', async () => {
  await file.server.fhirkeep.auth.accounts.create({ email: 'api@example.org', password: PASSWORD, roles: ['patient'], patientId: 'p-api' });
  const session = async () => {
    const visitor = new TestBrowser(file.server.baseUrl);
    const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
    await visitor.post('/portal/sign-in', { email: 'api@example.org', password: PASSWORD, next: '/portal', csrf });
    return `fhirkeep_session=${visitor.jar.get('fhirkeep_session') ?? ''}`;
  };
  const put = (cookie: string | undefined, body: unknown, type = 'application/json') =>
    fetch(`${file.server.baseUrl}/api/account/password`, { method: 'PUT', headers: { 'content-type': type, ...(cookie === undefined ? {} : { cookie }) }, body: JSON.stringify(body) });
  const diagnostics = async (res: Response) => ((await res.json()) as { issue?: { diagnostics?: string }[] }).issue?.[0]?.diagnostics ?? '';

  const mine = await session();
  const other = await session();
  assert.equal((await put(undefined, { current_password: PASSWORD, new_password: NEW_PASSWORD })).status, 401);
  assert.equal((await put(mine, { current_password: PASSWORD, new_password: NEW_PASSWORD }, 'text/plain')).status, 415, 'JSON only: no cross-site form can send it');
  assert.equal((await put(mine, { current_password: PASSWORD, new: NEW_PASSWORD })).status, 400);
  const wrong = await put(mine, { current_password: 'not the password', new_password: NEW_PASSWORD });
  assert.equal(wrong.status, 403);
  assert.match(await diagnostics(wrong), /current password is wrong/);
  const short = await put(mine, { current_password: PASSWORD, new_password: 'short' });
  assert.equal(short.status, 400);
  assert.match(await diagnostics(short), /at least 12 characters/);

  const changed = await put(mine, { current_password: PASSWORD, new_password: NEW_PASSWORD });
  assert.equal(changed.status, 204);
  const renewed = /^fhirkeep_session=[^;]+/.exec(changed.headers.get('set-cookie') ?? '')?.[0];
  assert.ok(renewed !== undefined && renewed !== mine, 'a new session cookie');
  assert.match(changed.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Lax/);
  for (const stale of [mine, other]) assert.equal((await fetch(`${file.server.baseUrl}/api/account`, { headers: { cookie: stale } })).status, 401, 'every older session ended');
  assert.equal((await fetch(`${file.server.baseUrl}/api/account`, { headers: { cookie: renewed } })).status, 200);
  await assert.rejects(file.server.fhirkeep.auth.accounts.authenticate('api@example.org', PASSWORD, { ip: '192.0.2.9' }));
  await file.server.fhirkeep.auth.accounts.authenticate('api@example.org', NEW_PASSWORD, { ip: '192.0.2.9' });
});
