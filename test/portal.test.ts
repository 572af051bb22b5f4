import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { TestBrowser, inputValue } from './support/browser.js';

/**
 * The portal's frame: sign-in and sign-out in a real browser, the strict CSP (no inline script or
 * style is needed), CSRF on every form, the session cookie's attributes, roles per section.
 */
const file = serverForThisFile();
const browser = chromiumForThisFile();
const PASSWORD = 'a long portal password';

async function account(email: string, roles: string[]) {
  return file.server.fhirkeep.auth.accounts.create({ email, password: PASSWORD, roles: roles as never, ...(roles.includes('patient') ? { patientId: `p-${email.split('@')[0]}` } : {}) });
}

test('a developer signs in, sees the sections of their roles, and signs out', { skip: NO_CHROMIUM }, async () => {
  await account('dev@example.org', ['developer']);
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  await page.goto(`${file.server.baseUrl}/`);
  assert.match(page.url(), /\/portal\/sign-in\?next=%2Fportal$/);
  await screenshot(page, 'portal-sign-in');
  await page.getByLabel('Email').fill('dev@example.org');
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Welcome' }).waitFor();
  const sections = await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents();
  assert.deepEqual(sections, ['Home', 'Applications', 'Account']);
  await screenshot(page, 'portal-home');
  const session = (await page.context().cookies()).find((c) => c.name === 'fhirkeep_session');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session?.sameSite, 'Lax');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.goto(`${file.server.baseUrl}/portal`);
  assert.match(page.url(), /\/portal\/sign-in/);
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('portal pages carry a CSP without inline script or style, and refuse framing', async () => {
  const res = await fetch(`${file.server.baseUrl}/portal/sign-in`);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  const text = await res.text();
  assert.doesNotMatch(text, /<script>|style="/, 'nothing inline');
  const css = await fetch(`${file.server.baseUrl}${/href="(\/portal\/assets\/portal\.css\?v=[^"]+)"/.exec(text)?.[1] ?? ''}`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('cache-control') ?? '', /immutable/);
  assert.equal((await fetch(`${file.server.baseUrl}/portal/assets/..%2F..%2Fpackage.json`)).status, 404);
});

test('a form without its CSRF token, with another visitor\'s, or from another origin is refused', async () => {
  await account('csrf@example.org', ['patient']);
  const visitor = new TestBrowser(file.server.baseUrl);
  const form = await visitor.get('/portal/sign-in');
  const csrf = inputValue(form.text, 'csrf') ?? '';
  assert.notEqual(csrf, '');
  const fields = { email: 'csrf@example.org', password: PASSWORD, next: '/portal' };
  assert.equal((await visitor.post('/portal/sign-in', fields)).status, 403, 'no token');
  const other = new TestBrowser(file.server.baseUrl);
  const otherToken = inputValue((await other.get('/portal/sign-in')).text, 'csrf') ?? '';
  assert.equal((await visitor.post('/portal/sign-in', { ...fields, csrf: otherToken })).status, 403, "another visitor's token");
  const foreign = await fetch(`${file.server.baseUrl}/portal/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', cookie: visitor.cookieHeader() ?? '' },
    body: new URLSearchParams({ ...fields, csrf }).toString(),
  });
  assert.equal(foreign.status, 403, 'another origin');
  assert.equal(visitor.jar.get('fhirkeep_session'), undefined, 'no session from a refused form');
  const signedIn = await visitor.post('/portal/sign-in', { ...fields, csrf });
  assert.equal(signedIn.status, 303);
  assert.equal(signedIn.location, '/portal');
});

test('after signing in, only a portal path is followed (no open redirect)', async () => {
  await account('next@example.org', ['patient']);
  for (const [next, expected] of [
    ['/portal/account', '/portal/account'],
    ['https://evil.example/', '/portal'],
    ['//evil.example/portal', '/portal'],
    ['/portal/../oauth2/authorize', '/portal'],
    ['/portal/%2e%2e/oauth2/authorize', '/portal'],
    ['/\\evil.example', '/portal'],
  ] as const) {
    const visitor = new TestBrowser(file.server.baseUrl);
    const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
    const res = await visitor.post('/portal/sign-in', { email: 'next@example.org', password: PASSWORD, next, csrf });
    assert.equal(res.location, expected, next);
  }
});

test('signed out, a page sends to sign-in; signed in, the home shows only the sections of the account\'s roles', async () => {
  await account('patient@example.org', ['patient']);
  const visitor = new TestBrowser(file.server.baseUrl);
  assert.equal((await visitor.get('/portal')).location, '/portal/sign-in?next=%2Fportal');
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  await visitor.post('/portal/sign-in', { email: 'patient@example.org', password: PASSWORD, next: '/portal', csrf });
  const home = await visitor.get('/portal');
  assert.equal(home.status, 200);
  assert.doesNotMatch(home.text, /href="\/portal\/admin"/);
});
