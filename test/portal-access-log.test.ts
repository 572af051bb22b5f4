import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { inputValue, TestBrowser } from './support/browser.js';
import { insertAuditRows, type AuditRowInput } from './support/audit-trail.js';
import { chromiumForThisFile, NO_CHROMIUM, screenshot, watchForPageErrors } from './support/chromium.js';
import { serverForThisFile } from './support/fhirkeep-server.js';

/**
 * "Who accessed my data" (docs/audit-reading.md): `GET /api/account/access-log` and its portal
 * page, over trail rows written as the writer would. A holder sees the accesses to her records
 * and no one else's, named in plain words (the application, the person by display name and never
 * by email, the organization acted for), refused attempts marked; she pages and filters by
 * application and day, on a phone too. Negative: no session, an account without a Patient, bad input.
 */
const file = serverForThisFile({ FHIRKEEP_DEFAULT_COUNT: '3' });
const browser = chromiumForThisFile();
const PASSWORD = 'a long access log password';
const hana = { email: 'hana@example.org', password: PASSWORD };

interface Seeded {
  acmeId: string;
  labId: string;
  /** Trail row ids, newest first, of Hana's entries. */
  hanaIds: string[];
}
let seeded: Promise<Seeded> | undefined;
const ready = () => (seeded ??= seed());

async function seed(): Promise<Seeded> {
  const { accounts, clients } = file.server.fhirkeep.auth;
  const hanaId = (await accounts.create({ ...hana, roles: ['patient'], patientId: 'hana-p', displayName: 'Hana Holder' })).id;
  const olafId = (await accounts.create({ email: 'olaf@example.org', password: PASSWORD, roles: ['patient'], patientId: 'olaf-p' })).id;
  const docId = (await accounts.create({ email: 'dr.lee@example.org', password: PASSWORD, roles: ['practitioner'], practitionerId: 'dr-1', displayName: 'Dr Ann Lee' })).id;
  const nurseId = (await accounts.create({ email: 'nurse@example.org', password: PASSWORD, roles: ['practitioner'], practitionerId: 'n-1' })).id;
  await accounts.create({ email: 'dev@example.org', password: PASSWORD, roles: ['developer'] });
  const clinic = await accounts.createOrganization({ name: 'Green Valley Clinic' });
  const acmeId = (await clients.register({ type: 'smart', name: 'Acme Health App', isPublic: true, redirectUris: ['https://acme.example/cb'] })).client.id;
  const labId = (await clients.register({ type: 'broker', name: 'Lab sync' })).client.id;
  const olafAppId = (await clients.register({ type: 'smart', name: "Olaf's diary", isPublic: true, redirectUris: ['https://olaf.example/cb'] })).client.id;
  const rows: AuditRowInput[] = [
    { recorded: '2026-11-28T08:00:00Z', clientId: labId, onBehalfOf: `Organization/${clinic.id}`, subtype: 'export', entity: ['Observation', 'Condition'], patientIds: ['hana-p'] },
    { recorded: '2026-11-30T08:00:00Z', clientId: labId, onBehalfOf: `Organization/${clinic.id}`, subtype: 'read', entity: ['Observation/h0'], patientIds: ['hana-p'] },
    { recorded: '2026-12-01T09:30:00Z', accountId: hanaId, clientId: acmeId, subtype: 'read', entity: ['Patient/hana-p'], patientIds: ['hana-p'] },
    { recorded: '2026-12-02T10:00:00Z', accountId: olafId, clientId: olafAppId, subtype: 'read', entity: ['Observation/o1'], patientIds: ['olaf-p'] },
    { recorded: '2026-12-03T14:02:00Z', accountId: docId, clientId: acmeId, subtype: 'search-type', action: 'E', entity: ['Observation/h2', 'Observation/o9', 'Patient/olaf-p'], patientIds: ['hana-p', 'olaf-p'] },
    { recorded: '2026-12-04T16:45:00Z', accountId: nurseId, clientId: acmeId, subtype: 'read', outcome: 4, entity: ['Condition/h3'], patientIds: ['hana-p'] },
  ];
  const ids = await insertAuditRows(file.server.fhirkeep.database.sql, rows);
  const hanaIds = ids.filter((_, i) => rows[i]?.patientIds?.includes('hana-p')).reverse();
  return { acmeId, labId, hanaIds };
}

async function session(email: string): Promise<string> {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-in')).text, 'csrf') ?? '';
  const res = await visitor.post('/portal/sign-in', { email, password: PASSWORD, next: '/portal', csrf });
  assert.equal(res.status, 303, res.text);
  return visitor.cookieHeader() ?? '';
}

const api = async (query: string, cookie?: string) => {
  const res = await fetch(`${file.server.baseUrl}/api/account/access-log${query}`, { headers: cookie === undefined ? {} : { cookie } });
  return { status: res.status, text: await res.text() };
};

interface LogPage {
  entries: { id: string; when: string; application?: { client_id: string; name: string }; person?: { you: boolean; name: string }; on_behalf_of?: { kind: string; name: string }; what: { interaction: string; resource_types: string[] }; outcome: string }[];
  next_cursor?: string;
  applications: { client_id: string; name: string }[];
}

test('the API lists who accessed her records, newest first, in her words, and nothing of anyone else', async () => {
  const { acmeId, labId, hanaIds } = await ready();
  const cookie = await session(hana.email);
  const res = await api('?count=10', cookie);
  assert.equal(res.status, 200, res.text);
  const log = JSON.parse(res.text) as LogPage;
  assert.deepEqual(log.entries.map((e) => e.id), hanaIds, "her five entries, not Olaf's");
  const [refused, search, own, read, exported] = log.entries;
  assert.deepEqual(refused?.person, { you: false, name: 'A practitioner' }, 'an account without a display name is named by its role');
  assert.equal(refused?.outcome, 'refused');
  assert.deepEqual(search?.person, { you: false, name: 'Dr Ann Lee' });
  assert.deepEqual(search?.application, { client_id: acmeId, name: 'Acme Health App' });
  assert.deepEqual(search?.what, { interaction: 'search-type', resource_types: ['Observation'] }, "the other patient's Patient is not hers");
  assert.deepEqual(own?.person, { you: true, name: 'You' });
  assert.deepEqual(own?.what.resource_types, ['Patient']);
  assert.deepEqual(read?.on_behalf_of, { kind: 'organization', name: 'Green Valley Clinic' });
  assert.equal(read?.person, undefined, 'a service acting alone');
  assert.equal(exported?.when, '2026-11-28T08:00:00.000Z');
  assert.deepEqual(log.applications, [
    { client_id: acmeId, name: 'Acme Health App' },
    { client_id: labId, name: 'Lab sync' },
  ]);
  for (const leak of ['olaf', "Olaf's diary", 'o9', 'dr.lee@example.org', 'nurse@example.org']) assert.doesNotMatch(res.text, new RegExp(leak), `${leak} is not in her log`);
});

test('the API pages by next_cursor and filters by application and days', async () => {
  const { labId, hanaIds } = await ready();
  const cookie = await session(hana.email);
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = JSON.parse((await api(cursor === undefined ? '?count=2' : `?count=2&cursor=${cursor}`, cookie)).text) as LogPage;
    assert.ok(page.entries.length <= 2);
    seen.push(...page.entries.map((e) => e.id));
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  assert.deepEqual(seen, hanaIds);
  const lab = JSON.parse((await api(`?client=${labId}`, cookie)).text) as LogPage;
  assert.deepEqual(lab.entries.map((e) => e.application?.name), ['Lab sync', 'Lab sync']);
  const days = JSON.parse((await api('?from=2026-11-30&to=2026-12-03', cookie)).text) as LogPage;
  assert.deepEqual(days.entries.map((e) => e.when), ['2026-12-03T14:02:00.000Z', '2026-12-01T09:30:00.000Z', '2026-11-30T08:00:00.000Z'], 'both days included');
});

test('refusals: no session is a 401, an account without a Patient a 403, bad input a 400, each an OperationOutcome', async () => {
  await ready();
  assert.equal((await api('')).status, 401);
  const dev = await api('', await session('dev@example.org'));
  assert.equal(dev.status, 403);
  assert.match(dev.text, /"resourceType":"OperationOutcome"/);
  const cookie = await session(hana.email);
  for (const query of ['?unknown=1', '?from=2026-13-01', '?to=yesterday', '?cursor=abc', '?count=0', '?from=2026-02-30']) {
    const res = await api(query, cookie);
    assert.equal(res.status, 400, `${query}: ${res.text}`);
    assert.match(res.text, /"resourceType":"OperationOutcome"/);
  }
  const page = await fetch(`${file.server.baseUrl}/portal/my-data/access-log`, { headers: { cookie: await session('dev@example.org') } });
  assert.equal(page.status, 403, 'the page is for account holders');
});

/** Signs in on the portal's page, in a fresh browser context, and lands on the access log. */
async function signedInPage(): Promise<Page> {
  const page = await browser.page();
  const next = '/portal/my-data/access-log';
  await page.goto(`${file.server.baseUrl}/portal/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(hana.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next);
  return page;
}

/** Each row of the log as "what happened | outcome". */
const rowTexts = (page: Page) =>
  page
    .getByRole('region', { name: 'Accesses' })
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => Array.from(r.children, (cell) => cell).map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()).join(' | ')));

test('the page: her accesses in plain words, refused ones marked, paged, filtered by application and days, on a phone too', { skip: NO_CHROMIUM }, async () => {
  await ready();
  const page = await signedInPage();
  const errors = watchForPageErrors(page);
  await page.reload();
  await page.getByRole('heading', { name: 'Who accessed my data' }).waitFor();
  // Three a page (FHIRKEEP_DEFAULT_COUNT=3), newest first.
  assert.deepEqual(await rowTexts(page), [
    'A practitioner using Acme Health App tried to read your Conditions on 4 Dec 2026, 16:45 UTC | Refused',
    'Dr Ann Lee using Acme Health App searched your Observations on 3 Dec 2026, 14:02 UTC | Allowed',
    'You using Acme Health App read your patient record on 1 Dec 2026, 09:30 UTC | Allowed',
  ]);
  const body = (await page.content()).toLowerCase();
  for (const leak of ['olaf', 'dr.lee@example.org']) assert.ok(!body.includes(leak), `${leak} is not on her page`);
  await screenshot(page, 'my-data-access-log');

  await page.getByRole('link', { name: 'Older entries' }).click();
  await page.waitForURL((url) => url.searchParams.has('cursor'));
  assert.deepEqual(await rowTexts(page), [
    'Lab sync for Green Valley Clinic read your Observations on 30 Nov 2026, 08:00 UTC | Allowed',
    'Lab sync for Green Valley Clinic exported your Observations and Conditions on 28 Nov 2026, 08:00 UTC | Allowed',
  ]);
  assert.equal(await page.getByRole('link', { name: 'Older entries' }).count(), 0, 'the last page');
  await page.getByRole('link', { name: 'Newest entries' }).click();

  await page.getByLabel('Application').selectOption({ label: 'Lab sync' });
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL((url) => url.searchParams.has('client'));
  assert.deepEqual((await rowTexts(page)).map((t) => t.slice(0, 8)), ['Lab sync', 'Lab sync']);

  await page.getByLabel('Application').selectOption({ label: 'All applications' });
  await page.getByLabel('From (day)').fill('2026-12-01');
  await page.getByLabel('To (day)').fill('2026-12-03');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL((url) => url.searchParams.get('from') === '2026-12-01');
  assert.equal((await rowTexts(page)).length, 2, 'the 1st and the 3rd of December');
  await page.getByRole('link', { name: 'Show everything' }).click();
  await page.waitForURL((url) => url.search === '');

  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'on a phone the page does not scroll sideways');
  await screenshot(page, 'my-data-access-log-phone');
  assert.deepEqual(errors, [], 'no CSP violation or script error');
});
