import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { inputValue, TestBrowser } from './support/browser.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { institutionToken } from './support/institution.js';
import { adminPages, type AdminDeps } from '../src/portal/pages/admin/index.js';

/**
 * The admin pages (docs/portal/portal-admin.md) in a real browser, as an admin: users,
 * organizations with teams and members, content groups, study grants, HIE profiles and tokens;
 * every refusal of the server shown on its form; only admins, and only with the form's token.
 */
const file = serverForThisFile();
const browser = chromiumForThisFile();
const PASSWORD = 'a long portal password';
const ADMIN = 'root@example.org';

async function account(email: string, roles: string[]) {
  return file.server.fhirkeep.auth.accounts.create({ email, password: PASSWORD, roles: roles as never });
}

let adminMade: Promise<unknown> | undefined;
/** A browser page signed in as the admin, watching for CSP errors; it accepts confirmations while `confirming.yes`. */
async function adminPage(): Promise<{ page: Page; errors: string[]; confirming: { yes: boolean; asked: string[] } }> {
  adminMade ??= account(ADMIN, ['admin']);
  await adminMade;
  const page = await browser.page();
  const errors = watchForPageErrors(page);
  const confirming = { yes: true, asked: [] as string[] };
  page.on('dialog', (d) => {
    confirming.asked.push(d.message());
    void (confirming.yes ? d.accept() : d.dismiss());
  });
  await page.goto(`${file.server.baseUrl}/portal/sign-in?next=%2Fportal%2Fadmin`);
  await page.getByLabel('Email', { exact: true }).fill(ADMIN);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Admin', exact: true }).waitFor();
  return { page, errors, confirming };
}

/**
 * The server's own check of what the form's constraints would refuse in the browser, as a browser
 * without them (or a script posting the form) meets it.
 */
async function skipBrowserChecks(page: Page): Promise<void> {
  await page.evaluate(() => document.querySelectorAll('form').forEach((f) => (f.noValidate = true)));
}

/** A ResearchStudy with an identifier at clinicaltrials.gov. */
async function putStudy(id: string, nct: string): Promise<void> {
  const put = await fetch(`${file.server.fhirBase}/ResearchStudy/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${await institutionToken(file.server.fhirkeep)}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'ResearchStudy', id, status: 'active', identifier: [{ system: 'https://clinicaltrials.gov', value: nct }] }),
  });
  assert.ok(put.status < 300, await put.text());
}

/** The server's message on the page (role=alert). */
async function alertSays(page: Page, text: RegExp): Promise<void> {
  await page.getByRole('alert').filter({ hasText: text }).waitFor();
}

test('an admin creates a user, sees their page, and disables them after confirming', { skip: NO_CHROMIUM }, async () => {
  const { page, errors, confirming } = await adminPage();
  const links = await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link').allTextContents();
  assert.deepEqual(links, ['Overview', 'Users', 'Organizations', 'Content groups', 'Research', 'HIE']);
  await screenshot(page, 'portal-admin');
  await page.getByRole('link', { name: 'Users' }).first().click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();

  // Bad input: the server's every problem, on the form, with what was typed kept.
  await page.getByLabel('Email', { exact: true }).fill('ann@example.org');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('patient', { exact: true }).check();
  await skipBrowserChecks(page);
  await page.getByRole('button', { name: 'Create user' }).click();
  await alertSays(page, /at least 12 characters.*needs the id of the account holder's Patient/);
  assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), 'ann@example.org');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'a password is never written back into a page');
  assert.ok(await page.getByLabel('patient', { exact: true }).isChecked());

  await page.getByLabel('Password', { exact: true }).fill('another long password');
  await page.getByLabel('Patient id', { exact: true }).fill('p-ann');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('heading', { name: 'ann@example.org', exact: true }).waitFor();
  assert.match(await page.getByRole('main').textContent() ?? '', /Patient\/p-ann/);
  await page.getByRole('link', { name: 'Users' }).first().click();
  await page.getByRole('cell', { name: 'ann@example.org' }).waitFor();
  await screenshot(page, 'portal-admin-users');

  await page.getByRole('link', { name: 'ann@example.org' }).click();
  confirming.yes = false;
  await page.getByRole('button', { name: 'Disable this account' }).click();
  assert.match(confirming.asked[0] ?? '', /Disable ann@example.org\? They can no longer sign in/);
  assert.equal((await file.server.fhirkeep.auth.accounts.findByEmail('ann@example.org'))?.disabled, false, 'declined: nothing posted');
  confirming.yes = true;
  await page.getByRole('button', { name: 'Disable this account' }).click();
  await page.getByText('This account is disabled').waitFor();
  assert.equal((await file.server.fhirkeep.auth.accounts.findByEmail('ann@example.org'))?.disabled, true);
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});

test('an admin creates an organization with a team and a manager; a bad identifier is the server’s message', { skip: NO_CHROMIUM }, async () => {
  await account('mia@example.org', ['developer']);
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/organizations`);
  await page.getByLabel('Name', { exact: true }).fill('Clinic North');
  await page.getByLabel('Identifier (optional)', { exact: true }).fill('no-bar');
  await skipBrowserChecks(page);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await alertSays(page, /SYSTEM\|VALUE/);
  await page.getByLabel('Identifier (optional)', { exact: true }).fill('http://hl7.org/fhir/sid/us-npi|1234567893');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByRole('heading', { name: 'Clinic North', exact: true }).waitFor();

  await page.getByLabel('New team name', { exact: true }).fill('Cardiology');
  await page.getByRole('button', { name: 'Create team' }).click();
  await page.getByRole('link', { name: 'Cardiology' }).waitFor();

  await page.getByLabel('Email (or account id)', { exact: true }).fill('nobody@example.org');
  await page.getByRole('button', { name: 'Add member' }).click();
  await alertSays(page, /No user nobody@example.org/);
  await page.getByLabel('Email (or account id)', { exact: true }).fill('mia@example.org');
  await page.getByLabel('Role', { exact: true }).selectOption('manager');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('row', { name: /mia@example.org\s*manager/ }).waitFor();

  await page.getByRole('link', { name: 'Cardiology' }).click();
  await page.getByRole('heading', { name: 'Cardiology', exact: true }).waitFor();
  await page.getByLabel('Email (or account id)', { exact: true }).fill('mia@example.org');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('row', { name: /mia@example.org\s*member/ }).waitFor();

  const mia = await file.server.fhirkeep.auth.accounts.findByEmail('mia@example.org');
  const memberships = await file.server.fhirkeep.auth.accounts.organizationsOf(mia?.id ?? '');
  assert.deepEqual(memberships.map((m) => [m.organization.name, m.role]), [['Cardiology', 'member'], ['Clinic North', 'manager']]);
  await page.goto(`${file.server.baseUrl}/portal/admin/users/${mia?.id ?? ''}`);
  await page.getByRole('link', { name: 'Clinic North' }).waitFor();
  await page.goto(`${file.server.baseUrl}/portal/admin/organizations`);
  await page.getByRole('link', { name: 'Cardiology' }).waitFor();
  await screenshot(page, 'portal-admin-organizations');
  assert.deepEqual(errors, []);
});

test('an admin adds a content group with a member, finds and adds another, removes one, then the group', { skip: NO_CHROMIUM }, async () => {
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/content`);
  await page.getByRole('link', { name: 'Vital signs' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('sleep data');
  await page.getByLabel('Label', { exact: true }).fill('Sleep data');
  await page.getByLabel('Content types (optional)', { exact: true }).fill('body/weight');
  await skipBrowserChecks(page);
  await page.getByRole('button', { name: 'Add group' }).click();
  await alertSays(page, /name: "sleep data" is not a valid name/);
  await page.getByLabel('Name', { exact: true }).fill('sleep-data');
  await page.getByLabel('Parent group (optional)', { exact: true }).selectOption('fitness');
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('heading', { name: 'Sleep data', exact: true }).waitFor();
  await page.getByRole('cell', { name: 'body/weight', exact: true }).waitFor();

  await page.getByLabel('Find content types', { exact: true }).fill('heart rate');
  await page.getByRole('button', { name: 'Search' }).click();
  const match = page.getByRole('group', { name: /Matches for/ }).getByRole('checkbox').first();
  const picked = (await match.getAttribute('value')) ?? '';
  await match.check();
  await page.getByRole('button', { name: 'Add to Sleep data' }).click();
  await page.getByRole('cell', { name: picked, exact: true }).waitFor();
  await page.getByLabel('Or type their names', { exact: true }).fill('no/such-type');
  await page.getByRole('button', { name: 'Add to Sleep data' }).click();
  await alertSays(page, /there is no content type "no\/such-type"/);

  await page.getByRole('button', { name: 'Remove body/weight from Sleep data' }).click();
  await page.getByRole('cell', { name: picked, exact: true }).waitFor();
  assert.equal(await page.getByRole('cell', { name: 'body/weight', exact: true }).count(), 0);
  const taxonomy = file.server.fhirkeep.taxonomy;
  assert.deepEqual(taxonomy.groups('v1').find((g) => g.name === 'sleep-data')?.contents, [picked]);
  assert.equal(taxonomy.groups('v1').find((g) => g.name === 'sleep-data')?.parent, 'fitness');

  await page.goto(`${file.server.baseUrl}/portal/admin/content?q=weight`);
  await page.getByRole('cell', { name: 'body/weight', exact: true }).waitFor();
  await screenshot(page, 'portal-admin-content');
  await page.getByRole('link', { name: 'Sleep data' }).click();
  await page.getByRole('button', { name: 'Remove this group' }).click();
  await page.getByRole('heading', { name: 'Content groups', exact: true }).waitFor();
  assert.equal(taxonomy.hasGroup('v1', 'sleep-data'), false);
  assert.deepEqual(errors, []);
});

test('an admin grants a research partner a study and revokes it; an unknown study is the server’s message', { skip: NO_CHROMIUM }, async () => {
  const { fhirkeep } = file.server;
  const partner = (await fhirkeep.auth.clients.register({ type: 'research', name: 'Heart lab' })).client;
  await putStudy('heart', 'NCT00000001');

  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/research`);
  await page.getByLabel('Research partner', { exact: true }).selectOption(partner.id);
  await page.getByLabel('Study', { exact: true }).fill('https://clinicaltrials.gov|NCT-none');
  await page.getByRole('button', { name: 'Grant' }).click();
  await alertSays(page, /There is no ResearchStudy https:\/\/clinicaltrials.gov\|NCT-none/);
  assert.equal(await page.getByLabel('Research partner', { exact: true }).inputValue(), partner.id, 'the choice is kept');
  await page.getByLabel('Study', { exact: true }).fill('https://clinicaltrials.gov|NCT00000001');
  await page.getByRole('button', { name: 'Grant' }).click();
  await page.getByText('ResearchStudy/heart').waitFor();
  const [grant] = await fhirkeep.studies.list(partner.id);
  assert.equal(grant?.studyId, 'heart');
  assert.equal(grant?.grantedBy, (await fhirkeep.auth.accounts.findByEmail(ADMIN))?.id, 'the acting admin is recorded');
  await screenshot(page, 'portal-admin-research');

  await page.getByRole('button', { name: 'Revoke study heart for Heart lab' }).click();
  await page.getByRole('heading', { name: 'Research partners', exact: true }).waitFor();
  assert.equal(await page.getByText('ResearchStudy/heart').count(), 0);
  assert.deepEqual(await fhirkeep.studies.list(partner.id), []);
  assert.deepEqual(errors, []);
});

test('an admin manages a user’s HIE profile, groups and activation, and creates an HIE token shown once', { skip: NO_CHROMIUM }, async () => {
  const { fhirkeep } = file.server;
  const dr = await account('dr@example.org', ['developer']);
  const clinic = await fhirkeep.auth.accounts.createOrganization({ name: 'HIE Clinic' });
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/hie`);
  await page.getByLabel('Email or account id', { exact: true }).fill('dr@example.org');
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'HIE profile of dr@example.org', exact: true }).waitFor();

  await page.getByLabel('Type', { exact: true }).selectOption('provider');
  await page.getByLabel('Id', { exact: true }).fill('1001');
  await page.getByLabel('Catchments', { exact: true }).fill('302');
  await skipBrowserChecks(page);
  await page.getByRole('button', { name: 'Save profile' }).click();
  await alertSays(page, /The catchment "302" is not an area code: 2 to 12 digits, an even number/);
  assert.equal(await page.getByLabel('Catchments', { exact: true }).inputValue(), '302');
  await page.getByLabel('Catchments', { exact: true }).fill('30, 302618');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.getByRole('row', { name: /provider\s*1001\s*30, 302618/ }).waitFor();

  await page.getByLabel('Add to a group', { exact: true }).fill('MCI Admin');
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('button', { name: 'Remove from the group MCI Admin' }).waitFor();

  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('Not activated').waitFor();
  assert.equal((await fhirkeep.hie.accounts.find(dr.id)).activatedAt, undefined);
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByText('Activated: the HIE dialect signs this user in.').waitFor();
  assert.notEqual((await fhirkeep.hie.accounts.find(dr.id)).activatedAt, undefined);
  const hie = await fhirkeep.hie.accounts.find(dr.id);
  assert.deepEqual([hie.groups, hie.profiles], [['MCI Admin'], [{ type: 'provider', id: '1001', catchments: ['30', '302618'] }]]);
  await screenshot(page, 'portal-admin-hie-user');
  await page.getByRole('button', { name: 'Remove from the group MCI Admin' }).click();
  await page.getByText('In no group.').waitFor();
  assert.deepEqual((await fhirkeep.hie.accounts.find(dr.id)).groups, []);

  await page.goto(`${file.server.baseUrl}/portal/admin/users/${dr.id}`);
  await page.getByText('provider 1001 (catchments 30, 302618)').waitFor();

  await page.goto(`${file.server.baseUrl}/portal/admin/hie`);
  await page.getByLabel('Organization', { exact: true }).selectOption(clinic.id);
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('heading', { name: 'HIE token created', exact: true }).waitFor();
  const token = (await page.locator('#hie-token').textContent())?.trim() ?? '';
  const clientId = (await page.getByRole('row', { name: /client_id/ }).getByRole('cell').textContent())?.trim() ?? '';
  assert.equal((await fhirkeep.hie.clients.authenticate(clientId, token)).organizationId, clinic.id, 'the token shown is the one issued');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

  await page.getByRole('link', { name: 'Back to HIE' }).click();
  await page.getByRole('cell', { name: clientId, exact: true }).waitFor();
  assert.ok(!(await page.content()).includes(token), 'the list never shows the token again');
  await screenshot(page, 'portal-admin-hie');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'on a phone the page does not scroll sideways');
  await screenshot(page, 'portal-admin-hie-phone');
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.getByRole('button', { name: `Revoke HIE token ${clientId}` }).click();
  await page.getByRole('row', { name: new RegExp(`${clientId}.*Revoked`) }).waitFor();
  await assert.rejects(fhirkeep.hie.clients.authenticate(clientId, token));
  assert.deepEqual(errors, []);
});

/** A signed-in fetch-level browser and its CSRF token. */
async function signedIn(email: string): Promise<{ visitor: TestBrowser; csrf: string }> {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  const res = await visitor.post('/portal/sign-in', { email, password: PASSWORD, next: '/portal', csrf });
  assert.equal(res.status, 303, res.text);
  return { visitor, csrf };
}

test('a developer meets the 403 page on every admin page and form', async () => {
  await account('dev@example.org', ['developer']);
  const target = await account('target@example.org', ['developer']);
  const org = await file.server.fhirkeep.auth.accounts.createOrganization({ name: 'Not yours' });
  const { visitor, csrf } = await signedIn('dev@example.org');
  // Every admin route, as the server registers them: a page added later is covered too.
  const routes = adminPages({} as AdminDeps);
  const fill = (path: string) =>
    path.replace(':system', 'v1').replace(':name', 'vital-signs').replace(':user', target.id).replace(':id', path.startsWith('/portal/admin/organizations/') ? org.id : target.id);
  const fields: Readonly<Record<string, Record<string, string>>> = {
    '/portal/admin/users': { email: 'sneaky@example.org', password: PASSWORD, roles: 'admin' },
    '/portal/admin/organizations': { name: 'Sneaky' },
    '/portal/admin/organizations/:id/members': { user: 'dev@example.org', role: 'manager' },
    '/portal/admin/organizations/:id/teams': { name: 'Sneaky' },
    '/portal/admin/content/groups': { system: 'v1', name: 'sneaky', label: 'Sneaky' },
    '/portal/admin/research/grant': { client: 'x', study: 'y' },
    '/portal/admin/hie/tokens': { organization: org.id },
    '/portal/admin/hie/users/:user/activation': { activated: 'false' },
  };
  assert.ok(routes.filter((r) => r.method === 'GET').length >= 10 && routes.filter((r) => r.method === 'POST').length >= 15, 'the list is the real one');
  for (const route of routes) {
    const path = fill(route.path);
    const res = route.method === 'GET' ? await visitor.get(`${path}?user=${target.id}`) : await visitor.post(path, { ...fields[route.path], csrf });
    assert.equal(res.status, 403, `${route.method} ${path}`);
    assert.match(res.text, /<h1>Not allowed<\/h1>/, path);
    assert.match(res.text, /role="alert">This page is for accounts with the role admin/, path);
  }
  const { accounts } = file.server.fhirkeep.auth;
  assert.equal(await accounts.findByEmail('sneaky@example.org'), undefined);
  assert.equal((await accounts.find(target.id))?.disabled, false);
  assert.deepEqual(await accounts.members(org.id), []);
  assert.ok(file.server.fhirkeep.taxonomy.hasGroup('v1', 'vital-signs'));
  assert.deepEqual(await file.server.fhirkeep.hie.clients.list().then((l) => l.filter((c) => c.organizationId === org.id)), []);
});

test('an admin form without its CSRF token is refused and changes nothing; a NUL is the server’s message', async () => {
  await (adminMade ??= account(ADMIN, ['admin']));
  const { visitor, csrf } = await signedIn(ADMIN);
  const fields = { email: 'forged@example.org', password: PASSWORD, roles: 'admin' };
  const refused = await visitor.post('/portal/admin/users', fields);
  assert.equal(refused.status, 403);
  assert.match(refused.text, /did not come from this site/);
  assert.equal((await visitor.post('/portal/admin/organizations', { name: 'Forged', csrf: 'not-the-token' })).status, 403);
  const { accounts } = file.server.fhirkeep.auth;
  assert.equal(await accounts.findByEmail('forged@example.org'), undefined);
  assert.equal((await accounts.listOrganizations()).some((o) => o.name === 'Forged'), false);

  const nul = await visitor.post('/portal/admin/organizations', { name: 'Bad\0name', csrf });
  assert.equal(nul.status, 400);
  assert.match(nul.text, /role="alert" id="create-error">A field holds a NUL character/);
  assert.equal((await visitor.get('/portal/admin/users/a%00b')).status, 404);
  const made = await visitor.post('/portal/admin/users', { ...fields, csrf });
  assert.equal(made.status, 303, made.text);
  assert.match(made.location ?? '', /^\/portal\/admin\/users\/[\w-]+$/);
});

/**
 * The live message of the field labelled `label` (its `…-live` element, tied to it by
 * aria-describedby): waits until it matches `text`, or until it is empty for `undefined`.
 */
async function liveSays(page: Page, label: string, text: RegExp | undefined): Promise<void> {
  const input = page.getByLabel(label, { exact: true });
  const live = `${(await input.getAttribute('id')) ?? ''}-live`;
  assert.ok(((await input.getAttribute('aria-describedby')) ?? '').split(' ').includes(live), `${label}: the message is tied to its field`);
  assert.equal(await page.locator(`[id="${live}"]`).getAttribute('aria-live'), 'polite');
  if (text === undefined) {
    await page.waitForFunction((id) => document.getElementById(id)?.textContent === '', live);
    assert.equal(await input.getAttribute('aria-invalid'), null, label);
  } else {
    await page.locator(`[id="${live}"]`).filter({ hasText: text }).waitFor();
    assert.equal(await input.getAttribute('aria-invalid'), 'true', label);
  }
}

/** Types `value` into the field labelled `label` and waits for its live message (`liveSays`). */
async function typeAndSee(page: Page, label: string, value: string, text: RegExp | undefined): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill(value);
  await liveSays(page, label, text);
}

test('user form, live: the email and password rules and a taken email show before any post; a post the constraints refuse is held back', { skip: NO_CHROMIUM }, async () => {
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/users`);
  await typeAndSee(page, 'Email', 'ann', /Not an email address/);
  await typeAndSee(page, 'Email', ADMIN, new RegExp(`An account with the email ${ADMIN} exists already`));
  await typeAndSee(page, 'Email', 'live-user@example.org', undefined);
  await typeAndSee(page, 'Password', 'short', /The password must have at least 12 characters/);
  await typeAndSee(page, 'Patient id', 'p ann', /Not a FHIR id/);
  await typeAndSee(page, 'Patient id', 'p-ann', undefined);

  await page.getByLabel('developer', { exact: true }).check();
  await page.getByRole('button', { name: 'Create user' }).click();
  assert.equal(await page.getByLabel('Password', { exact: true }).evaluate((el: HTMLInputElement) => el.validity.tooShort), true);
  assert.equal(await file.server.fhirkeep.auth.accounts.findByEmail('live-user@example.org'), undefined, 'the browser did not post');
  await typeAndSee(page, 'Password', 'a long enough password', undefined);
  await page.getByLabel('Patient id', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('heading', { name: 'live-user@example.org', exact: true }).waitFor();
  assert.deepEqual(errors, []);
});

test('organization forms, live: identifier rule and one already used, a blank name, an unknown member', { skip: NO_CHROMIUM }, async () => {
  await file.server.fhirkeep.auth.accounts.createOrganization({ name: 'Live Clinic', identifier: { system: 'urn:live', value: '1' } });
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/organizations`);
  await typeAndSee(page, 'Identifier (optional)', 'no-bar', /An identifier is SYSTEM\|VALUE/);
  await typeAndSee(page, 'Identifier (optional)', ' urn:live | 1 ', /An organization with the identifier urn:live\|1 exists already/);
  await typeAndSee(page, 'Identifier (optional)', 'urn:live|2', undefined);
  await typeAndSee(page, 'Name', '   ', /A name has 1 to 200 characters/);
  await typeAndSee(page, 'Name', 'Live Two', undefined);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByRole('heading', { name: 'Live Two', exact: true }).waitFor();

  await typeAndSee(page, 'Email (or account id)', 'nobody@example.org', /No user nobody@example.org/);
  await typeAndSee(page, 'Email (or account id)', ADMIN, undefined);
  await typeAndSee(page, 'New team name', ' ', /A name has 1 to 200 characters/);
  assert.deepEqual(errors, []);
});

test('content group forms, live: a bad or taken group name and unknown content types', { skip: NO_CHROMIUM }, async () => {
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/content`);
  await typeAndSee(page, 'Name', 'sleep data', /Not a valid name: letters, digits/);
  await typeAndSee(page, 'Name', 'vital-signs', /there is a group vital-signs in group system v1 already/);
  await typeAndSee(page, 'Name', 'live-system', undefined);
  await page.getByLabel('Group system', { exact: true }).fill('v1');
  await typeAndSee(page, 'Name', 'live-group', undefined);
  await typeAndSee(page, 'Content types (optional)', 'body/weight\nno/such-type', /There is no content type no\/such-type/);
  await typeAndSee(page, 'Content types (optional)', 'body/weight', undefined);
  await page.getByLabel('Label', { exact: true }).fill('Live group');
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('heading', { name: 'Live group', exact: true }).waitFor();
  await typeAndSee(page, 'Or type their names', 'nope/x', /There is no content type nope\/x/);
  assert.deepEqual(errors, []);
});

test('research grant form, live: an unknown study shows the API’s message; a known one by id or identifier clears it', { skip: NO_CHROMIUM }, async () => {
  await putStudy('lung', 'NCT00000002');
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/research`);
  await typeAndSee(page, 'Study', 'https://clinicaltrials.gov|NCT-none', /There is no ResearchStudy https:\/\/clinicaltrials.gov\|NCT-none/);
  await typeAndSee(page, 'Study', 'https://clinicaltrials.gov|NCT00000002', undefined);
  await typeAndSee(page, 'Study', 'no-such-study', /There is no ResearchStudy no-such-study/);
  await typeAndSee(page, 'Study', 'lung', undefined);
  assert.deepEqual(errors, []);
});

test('HIE forms, live: an unknown user, a bad profile id, catchments that are no area codes, a blank group', { skip: NO_CHROMIUM }, async () => {
  const { page, errors } = await adminPage();
  await page.goto(`${file.server.baseUrl}/portal/admin/hie`);
  await typeAndSee(page, 'Email or account id', 'nobody@example.org', /No user nobody@example.org/);
  await typeAndSee(page, 'Email or account id', ADMIN, undefined);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: `HIE profile of ${ADMIN}`, exact: true }).waitFor();
  await typeAndSee(page, 'Id', 'bad id', /Not a FHIR id/);
  await typeAndSee(page, 'Id', '2002', undefined);
  await typeAndSee(page, 'Catchments', '302', /Area codes are 2 to 12 digits, an even number/);
  await typeAndSee(page, 'Catchments', '30, 302618', undefined);
  await typeAndSee(page, 'Add to a group', '  ', /A group name has 1 to 100 characters/);
  await typeAndSee(page, 'Add to a group', 'MCI Admin', undefined);
  assert.deepEqual(errors, []);
});

test('without JavaScript: the forms carry the constraints, post as before, and the server still checks what the script would have shown', async () => {
  const { fhirkeep } = file.server;
  await (adminMade ??= account(ADMIN, ['admin']));
  const partner = (await fhirkeep.auth.clients.register({ type: 'research', name: 'Plain lab' })).client;
  await putStudy('plain', 'NCT00000003');
  const { visitor, csrf } = await signedIn(ADMIN);
  const users = (await visitor.get('/portal/admin/users')).text;
  assert.match(users, /<input type="text" id="create-email" name="email" required autocomplete="off" pattern="[^"]+" maxlength="254" inputmode="email" data-invalid="[^"]+" data-check="email-free" aria-describedby="create-email-live">/);
  assert.match(users, /id="create-password"[^>]* minlength="12" maxlength="256"/);
  assert.match(users, /<script src="\/portal\/assets\/admin-forms.js\?v=[\w-]+" defer><\/script>/);

  const posts: [string, Record<string, string | string[]>][] = [
    ['/portal/admin/users', { email: 'plain@example.org', password: PASSWORD, roles: ['developer'] }],
    ['/portal/admin/organizations', { name: 'Plain Clinic', identifier: 'urn:plain|1' }],
    ['/portal/admin/content/groups', { system: 'v1', name: 'plain-group', label: 'Plain group', contents: 'body/weight' }],
    ['/portal/admin/research/grant', { client: partner.id, study: 'https://clinicaltrials.gov|NCT00000003' }],
    ['/portal/admin/hie/users/plain@example.org/profiles', { type: 'provider', id: '3003', catchments: '30' }],
  ];
  for (const [path, fields] of posts) {
    const res = await visitor.post(path, { ...fields, csrf });
    assert.equal(res.status, 303, `${path}: ${res.text.slice(0, 300)}`);
  }
  assert.equal((await fhirkeep.studies.list(partner.id))[0]?.studyId, 'plain');

  const refusals: [string, Record<string, string | string[]>, number, RegExp][] = [
    ['/portal/admin/users', { email: 'plain@example.org', password: PASSWORD, roles: ['developer'] }, 409, /An account with the email plain@example.org exists already/],
    ['/portal/admin/organizations', { name: 'Plain again', identifier: 'urn:plain|1' }, 409, /An organization with the identifier urn:plain\|1 exists already/],
    ['/portal/admin/content/groups', { system: 'v1', name: 'plain-group', label: 'Again' }, 409, /there is a group plain-group in group system v1 already/],
    ['/portal/admin/research/grant', { client: partner.id, study: 'no-such-study' }, 404, /There is no ResearchStudy no-such-study/],
    ['/portal/admin/hie/users/plain@example.org/profiles', { type: 'provider', id: '3003', catchments: '302' }, 400, /The catchment &quot;302&quot; is not an area code/],
  ];
  for (const [path, fields, status, message] of refusals) {
    const res = await visitor.post(path, { ...fields, csrf });
    assert.equal(res.status, status, path);
    assert.match(res.text, message, path);
  }
});
