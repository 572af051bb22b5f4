/**
 * The developer's application pages (docs/portal/portal-apps.md) in a real browser: register a
 * SMART app and a service, see each secret once (never again: reload, list, overview), edit with
 * the registry's own error messages, add each kind of key and use it, sign a CSR and check the
 * downloaded certificate against the CA, revoke with a confirmation, hand key management to an
 * organization. Fetch-level: another developer's app, a patient, a form without its CSRF token.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Role } from '../src/auth/accounts/account.js';
import { webCsr } from './support/certificate-requests.js';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { TestBrowser, inputValue } from './support/browser.js';

const file = serverForThisFile();
const browser = chromiumForThisFile();
const PASSWORD = 'a long portal password';
const ADMIN = { accountId: undefined, admin: true } as const;

async function account(email: string, roles: Role[]) {
  return file.server.fhirkeep.auth.accounts.create({ email, password: PASSWORD, roles, ...(roles.includes('patient') ? { patientId: `p-${email.split('@')[0]}` } : {}) });
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${file.server.baseUrl}/portal/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Welcome' }).waitFor();
}

async function fetchSignIn(email: string): Promise<TestBrowser> {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  const res = await visitor.post('/portal/sign-in', { email, password: PASSWORD, next: '/portal', csrf });
  assert.equal(res.status, 303, `${email} signs in`);
  return visitor;
}

/** The secret the page reveals once, and its copy button. */
async function revealed(page: Page): Promise<string> {
  return (await page.locator('#revealed-value').textContent())?.trim() ?? '';
}

async function tokenStatus(body: Record<string, string>, basic?: { id: string; secret: string }): Promise<number> {
  const res = await fetch(`${file.server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic === undefined ? {} : { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` }),
    },
    body: new URLSearchParams(body).toString(),
  });
  return res.status;
}

async function fhirStatus(bearer: string): Promise<number> {
  return (await fetch(`${file.server.fhirBase}/Observation`, { headers: { authorization: `Bearer ${bearer}` } })).status;
}

test('a developer registers a SMART app and a service, sees each secret once, edits, adds each kind of key, revokes one and hands management to an organization', { skip: NO_CHROMIUM }, async () => {
  const { accounts } = file.server.fhirkeep.auth;
  const dev = await account('dana@example.org', ['developer']);
  const acme = await accounts.createOrganization({ name: 'Acme Health' });
  await accounts.addMember(acme.id, dev.id);

  const context = await browser.context();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: file.server.baseUrl });
  const page = await context.newPage();
  const errors = watchForPageErrors(page);
  await signIn(page, 'dana@example.org');

  // Register a SMART app: the secret appears once, with a copy button.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Applications' }).click();
  await page.getByRole('heading', { name: 'Applications', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Register an application' }).click();
  await page.getByRole('heading', { name: 'Register an application' }).waitFor();
  await screenshot(page, 'portal-apps-register');
  await page.getByLabel('Type').selectOption({ label: 'SMART app' });
  await page.getByLabel('Name').fill('Pocket Chart');
  await page.getByLabel('Redirect URIs').fill('https://pocket.example/callback');
  await page.getByLabel('Scopes').fill('launch/patient patient/*.rs openid fhirUser');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Pocket Chart' }).waitFor();
  const smartSecret = await revealed(page);
  assert.match(smartSecret, /^[A-Za-z0-9_-]{43}$/);
  const smartId = (await page.locator('#client-id').textContent()) ?? '';
  await page.locator('[data-copy="revealed-value"]').click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), smartSecret, 'the copy button copies the secret');
  await screenshot(page, 'portal-apps-overview');

  // Never again: not on reload, not in the list, not on the overview.
  await page.reload();
  await page.getByText('This was shown once and is not shown again').waitFor();
  assert.equal(await page.locator('#revealed-value').count(), 0);
  assert.ok(!(await page.content()).includes(smartSecret), 'a reload does not show the secret');
  await page.goto(`${file.server.baseUrl}/portal/apps/${smartId}`);
  assert.ok(!(await page.content()).includes(smartSecret), 'the overview never shows it');
  await page.goto(`${file.server.baseUrl}/portal/apps`);
  assert.ok(!(await page.content()).includes(smartSecret), 'the list never shows it');
  await page.getByRole('link', { name: 'Pocket Chart' }).click();

  // Edit the redirect URIs: a plain-http URI is the registry's 400, shown on the form.
  await page.getByLabel('Redirect URIs').fill('http://pocket.example/callback');
  await page.getByRole('button', { name: 'Save' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'redirect URI http://pocket.example/callback must use https (http only for localhost or 127.0.0.1)' });
  await refusal.waitFor();
  assert.equal(await page.getByLabel('Redirect URIs').inputValue(), 'http://pocket.example/callback', 'the form keeps what was typed');
  await page.getByLabel('Redirect URIs').fill('https://pocket.example/callback\nhttps://pocket.example/second');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('The settings are saved.').waitFor();
  assert.deepEqual((await file.server.fhirkeep.auth.clients.find(smartId))?.redirectUris, ['https://pocket.example/callback', 'https://pocket.example/second']);

  // A SMART app has no API keys: its keys page says so.
  await page.getByRole('navigation', { name: 'Application' }).getByRole('link', { name: 'Keys' }).click();
  await page.getByText('A SMART app signs users in and gets no API keys').waitFor();

  // Register an external service: its secret works at the token endpoint.
  await page.goto(`${file.server.baseUrl}/portal/apps/new`);
  await page.getByLabel('Type').selectOption({ label: 'External service' });
  assert.equal(await page.getByLabel('Redirect URIs').isVisible(), false, 'SMART-only fields are hidden for a service');
  await page.getByLabel('Name').fill('Nightly Sync');
  await page.getByLabel('Scopes').fill('system/Observation.rs');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Nightly Sync' }).waitFor();
  const serviceSecret = await revealed(page);
  const serviceId = (await page.locator('#client-id').textContent()) ?? '';
  assert.equal(await tokenStatus({ grant_type: 'client_credentials' }, { id: serviceId, secret: serviceSecret }), 200, 'the secret shown is the client secret');
  await page.reload();
  assert.ok(!(await page.content()).includes(serviceSecret));

  // Keys: a static key, a refresh key, a certificate key; each secret once, each one works.
  await page.getByRole('navigation', { name: 'Application' }).getByRole('link', { name: 'Keys' }).click();
  await page.getByRole('heading', { name: 'Add a key' }).waitFor();
  await page.getByLabel('Static API key').check();
  await page.getByLabel('Name (optional)').fill('sync host');
  await page.getByRole('button', { name: 'Add the key' }).click();
  await page.getByRole('heading', { name: 'Your API key' }).waitFor();
  const staticKey = await revealed(page);
  assert.match(staticKey, /^fhk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
  assert.equal(await fhirStatus(staticKey), 200, 'the static key reads the FHIR API');
  await screenshot(page, 'portal-apps-keys');
  await page.reload();
  assert.ok(!(await page.content()).includes(staticKey), 'the static key is not shown again');

  await page.getByLabel('Refresh key').check();
  await page.getByRole('button', { name: 'Add the key' }).click();
  await page.getByRole('heading', { name: 'Your refresh token' }).waitFor();
  const refreshToken = await revealed(page);
  assert.match(refreshToken, /^fhkr_/);
  assert.equal(await tokenStatus({ grant_type: 'refresh_token', refresh_token: refreshToken }), 200, 'the refresh token is exchanged');
  await page.goto(`${file.server.baseUrl}/portal/apps/${serviceId}/keys`);
  assert.ok(!(await page.content()).includes(refreshToken));

  await page.getByLabel('Client certificate').check();
  await page.getByRole('button', { name: 'Add the key' }).click();
  await page.getByRole('heading', { name: 'The CN for your certificate signing request' }).waitFor();
  const cn = await revealed(page);
  assert.match(cn, /^fhirkeep-key-[0-9a-f]{20}$/);
  const certificateKeyId = cn.slice('fhirkeep-key-'.length);

  // Sign a CSR: a wrong one is the CA's message; the right one, read from a file, downloads the PEM.
  await page.getByRole('link', { name: 'Sign a CSR' }).click();
  await page.getByRole('heading', { name: `Certificate for key ${certificateKeyId}` }).waitFor();
  await page.getByLabel('Certificate signing request (PEM)').fill('not a CSR');
  await page.getByRole('button', { name: 'Sign and download the certificate' }).click();
  await page.getByRole('alert').filter({ hasText: 'The CSR is not PEM' }).waitFor();
  await screenshot(page, 'portal-apps-certificate');
  const { csrPem } = await webCsr('ec-p256', `CN=${cn}`);
  const directory = mkdtempSync(join(tmpdir(), 'portal-apps-'));
  writeFileSync(join(directory, 'service.csr'), csrPem);
  await page.getByLabel('Or read the CSR from a file').setInputFiles(join(directory, 'service.csr'));
  await page.getByText('Read service.csr into the field above.').waitFor();
  assert.equal(await page.getByLabel('Certificate signing request (PEM)').inputValue(), csrPem, 'the file is read into the field');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Sign and download the certificate' }).click()]);
  assert.equal(download.suggestedFilename(), `fhirkeep-key-${certificateKeyId}.pem`);
  const certificate = new X509Certificate(readFileSync(await download.path()));
  const [caDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the CA certificate' }).click()]);
  const ca = new X509Certificate(readFileSync(await caDownload.path()));
  assert.ok(certificate.checkIssued(ca) && certificate.verify(ca.publicKey), 'the certificate chains to the CA');
  assert.match(certificate.subject, new RegExp(`CN=${cn}`));

  // The keys used so far show when; the certificate key, never used, says so.
  await file.server.fhirkeep.auth.flushKeyUsage();
  await page.goto(`${file.server.baseUrl}/portal/apps/${serviceId}/keys`);
  const staticKeyId = staticKey.slice(4, 24);
  const lastUsed = async (keyId: string) => {
    const row = page.getByRole('row').filter({ hasText: keyId });
    const column = await page.getByRole('columnheader').allTextContents();
    return (await row.getByRole('cell').allTextContents())[column.indexOf('Last used')];
  };
  assert.notEqual(await lastUsed(staticKeyId), 'Never', 'the static key read the FHIR API');
  assert.equal(await lastUsed(certificateKeyId), 'Never');

  // Revoke with confirmation: dismissed, nothing happens; accepted, the key stops working.
  page.once('dialog', (d) => void d.dismiss());
  await page.getByRole('button', { name: `Revoke key ${staticKeyId}` }).click();
  await page.waitForTimeout(200);
  assert.equal(await fhirStatus(staticKey), 200, 'a dismissed confirmation revokes nothing');
  page.once('dialog', (d) => {
    assert.match(d.message(), /Revoke the key sync host\?/);
    void d.accept();
  });
  await page.getByRole('button', { name: `Revoke key ${staticKeyId}` }).click();
  await page.getByText('The key is revoked').waitFor();
  assert.equal(await fhirStatus(staticKey), 401, 'the revoked key is refused');
  assert.equal(await page.getByRole('button', { name: `Revoke key ${staticKeyId}` }).count(), 0);

  // Readable on a phone: the key table fits the screen's width.
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'portal-apps-keys-phone');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling on a phone');
  await page.setViewportSize({ width: 1200, height: 900 });

  // Hand key management to the organization (the developer is a member, so still manages).
  await page.getByRole('navigation', { name: 'Application' }).getByRole('link', { name: 'Key managers' }).click();
  await page.getByText('The account dana@example.org').waitFor();
  await page.getByLabel('Organization or team', { exact: true }).selectOption({ label: 'Acme Health (organization)' });
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Hand over to the organization' }).click();
  await page.getByText('Key management is handed over.').waitFor();
  await page.getByText('Every member of the organization Acme Health').waitFor();
  await screenshot(page, 'portal-apps-managers');
  assert.deepEqual(await file.server.fhirkeep.auth.serviceKeys.managerOf(serviceId, ADMIN), { kind: 'organization', id: acme.id });

  await page.goto(`${file.server.baseUrl}/portal/apps`);
  await page.getByRole('cell', { name: 'Nightly Sync' }).waitFor();
  await screenshot(page, 'portal-apps-list');
  const list = await page.content();
  for (const secret of [smartSecret, serviceSecret, staticKey, refreshToken]) assert.ok(!list.includes(secret));
  assert.deepEqual(errors, [], 'no CSP violation or script error');
  await context.close();
});

test("another developer's application is not found, a patient may not use the pages, and a key form without its CSRF token is refused", async () => {
  const { clients, serviceKeys } = file.server.fhirkeep.auth;
  const owner = await account('owen@example.org', ['developer']);
  const { client } = await clients.register({ type: 'service', name: "Owen's feed", scopes: ['system/*.rs'], ownerAccount: owner.id }, owner.id);
  await account('nina@example.org', ['developer']);
  await account('pat@example.org', ['patient']);

  const nina = await fetchSignIn('nina@example.org');
  const overview = await nina.get(`/portal/apps/${client.id}`);
  assert.equal(overview.status, 404, "another developer's app is answered as missing, as by the client API");
  assert.match(overview.text, /Not found/);
  assert.doesNotMatch(overview.text, /Owen&#39;s feed/);
  assert.equal((await nina.get(`/portal/apps/${client.id}/keys`)).status, 403, 'keys: the key service answers a non-manager 403, as the key API');
  assert.doesNotMatch((await nina.get('/portal/apps')).text, /Owen/);
  const csrf = inputValue((await nina.get('/portal/apps/new')).text, 'csrf') ?? '';
  assert.equal((await nina.post(`/portal/apps/${client.id}/revoke`, { csrf })).status, 404, 'nor may she revoke it');
  assert.equal((await clients.find(client.id))?.revoked, false);

  const pat = await fetchSignIn('pat@example.org');
  for (const path of ['/portal/apps', '/portal/apps/new', `/portal/apps/${client.id}`, `/portal/apps/${client.id}/keys`]) {
    const res = await pat.get(path);
    assert.equal(res.status, 403, path);
    assert.match(res.text, /role developer or admin/);
  }

  const owen = await fetchSignIn('owen@example.org');
  const keysPage = await owen.get(`/portal/apps/${client.id}/keys`);
  assert.equal(keysPage.status, 200);
  const token = inputValue(keysPage.text, 'csrf') ?? '';
  assert.equal((await owen.post(`/portal/apps/${client.id}/keys`, { type: 'static' })).status, 403, 'no CSRF token');
  assert.equal((await owen.post(`/portal/apps/${client.id}/keys`, { type: 'static', csrf: 'x'.repeat(43) })).status, 403, 'a wrong CSRF token');
  assert.equal((await serviceKeys.list(client.id, ADMIN)).length, 0, 'no key was made');
  const made = await owen.post(`/portal/apps/${client.id}/keys`, { type: 'static', csrf: token });
  assert.equal(made.status, 303, 'with its token the form works');
  assert.equal((await serviceKeys.list(client.id, ADMIN)).length, 1);
});

test('the register form shows the registry’s messages and keeps what was typed; bad keys and CSRs too', async () => {
  await account('rita@example.org', ['developer']);
  const rita = await fetchSignIn('rita@example.org');
  const csrf = inputValue((await rita.get('/portal/apps/new')).text, 'csrf') ?? '';
  const base = { csrf, type: 'service', client_name: 'Public feed', redirect_uris: '', jwks: '', jwks_uri: '', scope: 'system/*.rs' };
  for (const [fields, message] of [
    [{ ...base, public: 'yes' }, 'a service client authenticates itself, so it cannot be public'],
    [{ ...base, type: 'smart' }, 'a smart client needs at least one redirect URI'],
    [{ ...base, jwks: '{"keys": [' }, 'The JWK Set is not valid JSON'],
    [{ ...base, jwks: '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}' }, 'Invalid JWK Set: key 0: the key has the private member &quot;k&quot;'],
    [{ ...base, jwks_uri: 'http://keys.example/jwks' }, 'JWK Set URL http://keys.example/jwks must use https'],
    [{ ...base, type: 'robot' }, 'type must be one of smart, service, broker, research'],
    [{ ...base, client_name: ' ' }, 'name must be 1 to 200 characters'],
  ] as const) {
    const res = await rita.post('/portal/apps/new', fields);
    assert.equal(res.status, 400, message);
    assert.match(res.text, /role="alert"/);
    assert.ok(res.text.includes(message), `${message} in ${/<p class="error"[^<]*<\/p>/.exec(res.text)?.[0] ?? res.text.slice(0, 300)}`);
    assert.ok(res.text.includes('value="system/*.rs"'), 'the scopes typed are kept');
  }
  assert.equal((await file.server.fhirkeep.auth.clients.list()).filter((c) => c.name === 'Public feed').length, 0, 'nothing was registered');

  // A JWKS-URI service gets no secret (nothing to reveal), and keeps its URL on edit.
  const registered = await rita.post('/portal/apps/new', { ...base, jwks_uri: 'https://keys.example/jwks' });
  assert.equal(registered.status, 303);
  assert.match(registered.location ?? '', /^\/portal\/apps\/[A-Za-z0-9_-]{22}\?done=registered$/);
  const overview = await rita.get(registered.location ?? '');
  assert.match(overview.text, /Signed client assertions \(private_key_jwt\)/);
  assert.doesNotMatch(overview.text, /Rotate the client secret/);
  const id = /\/portal\/apps\/([A-Za-z0-9_-]{22})/.exec(registered.location ?? '')?.[1] ?? '';
  const cleared = await rita.post(`/portal/apps/${id}/settings`, { csrf, client_name: 'Public feed', redirect_uris: '', scope: '', jwks: '', jwks_uri: '' });
  assert.equal(cleared.status, 400);
  assert.ok(cleared.text.includes('a client authenticating with private_key_jwt needs its JWK Set or JWK Set URL'));

  // A key of the wrong kind, an unknown key, a CSR for another key's CN.
  const keyMade = await rita.post(`/portal/apps/${id}/keys`, { csrf, type: 'certificate' });
  assert.equal(keyMade.status, 303);
  const keys = await file.server.fhirkeep.auth.serviceKeys.list(id, ADMIN);
  const keyId = keys[0]?.id ?? '';
  const wrongCn = await rita.post(`/portal/apps/${id}/keys/${keyId}/certificate`, { csrf, csr: (await webCsr('ec-p256', 'CN=someone-else')).csrPem });
  assert.equal(wrongCn.status, 400);
  assert.ok(wrongCn.text.includes('The CSR&#39;s CN is &quot;someone-else&quot;'));
  assert.equal((await rita.get(`/portal/apps/${id}/keys/${'0'.repeat(20)}/certificate`)).status, 404);
  assert.equal((await rita.post(`/portal/apps/${id}/keys`, { csrf, type: 'skeleton' })).status, 400);
});

test('the secret of a rotation is shown once; revoking the application needs no second secret; an admin sees every application with its owner', async () => {
  const dev = await account('rosa@example.org', ['developer']);
  const rosa = await fetchSignIn('rosa@example.org');
  const csrf = inputValue((await rosa.get('/portal/apps/new')).text, 'csrf') ?? '';
  const registered = await rosa.post('/portal/apps/new', { csrf, type: 'broker', client_name: 'Rosa broker', scope: 'system/*.rs' });
  const location = registered.location ?? '';
  const id = /\/portal\/apps\/([A-Za-z0-9_-]{22})/.exec(location)?.[1] ?? '';
  const first = await rosa.get(location);
  const firstSecret = /id="revealed-value">([^<]+)</.exec(first.text)?.[1] ?? '';
  assert.match(firstSecret, /^[A-Za-z0-9_-]{43}$/);
  assert.doesNotMatch((await rosa.get(location)).text, /revealed-value/, 'the same URL again shows nothing');

  const rotated = await rosa.post(`/portal/apps/${id}/secret`, { csrf });
  assert.equal(rotated.status, 303);
  const second = await rosa.get(rotated.location ?? '');
  const secondSecret = /id="revealed-value">([^<]+)</.exec(second.text)?.[1] ?? '';
  assert.match(secondSecret, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(secondSecret, firstSecret);
  assert.equal(await tokenStatus({ grant_type: 'client_credentials' }, { id, secret: firstSecret }), 401, 'the old secret stops');
  assert.equal(await tokenStatus({ grant_type: 'client_credentials' }, { id, secret: secondSecret }), 200, 'the new one works');
  assert.doesNotMatch((await rosa.get(rotated.location ?? '')).text, /revealed-value/);

  const revoked = await rosa.post(`/portal/apps/${id}/revoke`, { csrf });
  assert.equal(revoked.location, `/portal/apps/${id}?done=revoked`);
  const after = await rosa.get(revoked.location ?? '');
  assert.match(after.text, /<strong>Revoked<\/strong>/);
  assert.doesNotMatch(after.text, /Rotate the client secret|Edit settings/);
  assert.equal(await tokenStatus({ grant_type: 'client_credentials' }, { id, secret: secondSecret }), 401);

  await account('ada@example.org', ['admin']);
  const ada = await fetchSignIn('ada@example.org');
  const all = await ada.get('/portal/apps');
  assert.equal(all.status, 200);
  assert.match(all.text, /All applications/);
  assert.ok(all.text.includes('Rosa broker') && all.text.includes('rosa@example.org'), 'an admin sees whose it is');
  assert.equal((await ada.get(`/portal/apps/${id}`)).status, 200, "an admin opens anyone's");
  assert.ok(dev.id.length > 0);
});

test("a member of the managing team manages a service's keys at the portal, without seeing the application itself", async () => {
  const { accounts, clients } = file.server.fhirkeep.auth;
  const owner = await account('olga@example.org', ['developer']);
  const member = await account('mo@example.org', ['developer']);
  const org = await accounts.createOrganization({ name: 'Partner Org' });
  const team = await accounts.createTeam(org.id, 'Integration team');
  await accounts.addMember(team.id, member.id);
  const { client } = await clients.register({ type: 'service', name: 'Olga feed', scopes: ['system/*.rs'], ownerAccount: owner.id }, owner.id);

  const olga = await fetchSignIn('olga@example.org');
  const managers = await olga.get(`/portal/apps/${client.id}/managers`);
  assert.equal(managers.status, 200);
  const csrf = inputValue(managers.text, 'csrf') ?? '';
  const unknown = await olga.post(`/portal/apps/${client.id}/managers`, { csrf, to: 'account', account: 'nobody@example.org' });
  assert.equal(unknown.status, 400);
  assert.ok(unknown.text.includes('No user nobody@example.org'));
  const missing = await olga.post(`/portal/apps/${client.id}/managers`, { csrf, to: 'organization', organization: '', organization_id: '' });
  assert.equal(missing.status, 400);
  const handed = await olga.post(`/portal/apps/${client.id}/managers`, { csrf, to: 'organization', organization: '', organization_id: team.id });
  assert.equal(handed.location, `/portal/apps/${client.id}?done=manager-changed`, 'Olga no longer manages the keys: back to the overview');
  assert.equal((await olga.get(`/portal/apps/${client.id}/keys`)).status, 403, 'the previous manager no longer manages the keys');

  const mo = await fetchSignIn('mo@example.org');
  assert.equal((await mo.get(`/portal/apps/${client.id}`)).status, 404, 'the team member does not own the application');
  const list = await mo.get('/portal/apps');
  assert.match(list.text, /Services whose keys you manage/);
  assert.ok(list.text.includes(`<a href="/portal/apps/${client.id}/keys">Olga feed</a>`), 'the list leads the member to the keys');
  assert.doesNotMatch((await olga.get('/portal/apps')).text, /Services whose keys you manage/, 'the owner finds it among her own');
  const keys = await mo.get(`/portal/apps/${client.id}/keys`);
  assert.equal(keys.status, 200, 'but manages its keys');
  assert.match(keys.text, new RegExp(`Client ${client.id}`));
  const made = await mo.post(`/portal/apps/${client.id}/keys`, { csrf: inputValue(keys.text, 'csrf') ?? '', type: 'static', name: 'team key' });
  assert.equal(made.status, 303);
  const shown = await mo.get(made.location ?? '');
  assert.match(/id="revealed-value">([^<]+)</.exec(shown.text)?.[1] ?? '', /^fhk_/);
  const other = await mo.get(made.location ?? '');
  assert.doesNotMatch(other.text, /id="revealed-value"/);
  assert.match(other.text, /team key/);
  const teamPage = await mo.get(`/portal/apps/${client.id}/managers`);
  assert.match(teamPage.text, /Every member of the team <strong>Integration team<\/strong>/);
});
