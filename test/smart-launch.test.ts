/**
 * SMART App Launch end to end with the reference client library (fhirclient, Node entry): a
 * standalone patient launch and an EHR launch, against a full Fhirkeep over HTTP. The app is a
 * tiny node:http server driving fhirclient the way its README shows; the "user" is a cookie-jar
 * browser that fills in Fhirkeep's pages.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { hash } from '@node-rs/argon2';
import smart from 'fhirclient/lib/entry/node.js';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { createFhirkeep, type Fhirkeep } from '../src/server.js';
import { inputValue, TestBrowser, type PageResponse } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { TEST_NODE_SETTINGS } from './support/fhirkeep-server.js';

const PASSWORD = 'a long enough test password';
const CLIENT_ID = 'fhirclient-app';

let database: TestDatabase;
let fhirkeep: Fhirkeep;
let baseUrl: string;
let app: { origin: string; server: Server };

/** The app: /launch starts fhirclient's authorize (standalone or EHR), /callback completes it and reads the patient. */
async function startApp(): Promise<{ origin: string; server: Server }> {
  const state = new Map<string, unknown>();
  const storage = {
    get: async (key: string) => state.get(key),
    set: async (key: string, value: unknown) => state.set(key, value).get(key),
    unset: async (key: string) => state.delete(key),
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const api = smart(req, res, storage);
    const work =
      url.pathname === '/launch'
        ? api.authorize({
            clientId: CLIENT_ID,
            // An EHR launch brings iss and launch in the URL; a standalone one names the server here.
            iss: `${baseUrl}/fhir`,
            scope: url.searchParams.has('launch') ? 'launch openid fhirUser patient/*.rs' : 'launch/patient openid fhirUser patient/*.rs',
            redirectUri: '/callback',
            pkceMode: 'required',
          })
        : api.ready().then(async (client) => {
            const patient = (await client.request(`Patient/${client.getPatientId() ?? ''}`)) as { id: string };
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ patient: client.getPatientId(), encounter: client.getEncounterId(), fhirUser: client.getFhirUser(), read: patient.id }));
          });
    work.catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { origin: `http://127.0.0.1:${address.port}`, server };
}

async function startFhirkeep(settings: Record<string, string> = {}): Promise<Fhirkeep> {
  const config = parseConfig({ FHIRKEEP_PORT: '0', FHIRKEEP_DATABASE_URL: database.url, ...TEST_NODE_SETTINGS, ...settings });
  return createFhirkeep(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
}

before(async () => {
  database = await createTestDatabase();
  app = await startApp();
  const { sql } = database.db;
  const passwordHash = await hash(PASSWORD);
  await sql`insert into accounts (id, email, password_hash, roles, patient_id) values ('alice', 'alice@example.org', ${passwordHash}, '{patient}', 'p1')`;
  await sql`insert into accounts (id, email, password_hash, roles, practitioner_id) values ('drwho', 'drwho@example.org', ${passwordHash}, '{practitioner}', 'pr1')`;
  await sql`insert into clients (id, type, name, public, redirect_uris, scopes, launch_uri)
            values (${CLIENT_ID}, 'smart', 'fhirclient test app', true, ${[`${app.origin}/callback`]},
                    '{openid,fhirUser,launch,launch/patient,patient/*.rs}', ${`${app.origin}/launch`})`;
  // The patient is written with authentication off, then Fhirkeep restarts as it runs for real.
  const seeding = await startFhirkeep({ FHIRKEEP_DEV_NO_AUTH: '1' });
  const seedBase = await seeding.listen();
  const put = await fetch(`${seedBase}/fhir/Patient/p1`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Example', given: ['Alice'] }] }),
  });
  assert.ok(put.ok, await put.text());
  await seeding.close();
  fhirkeep = await startFhirkeep();
  baseUrl = await fhirkeep.listen();
  // The practitioner sees Alice's record because she shares it with the clinic they work at.
  const clinic = await fhirkeep.auth.accounts.createOrganization({ name: 'Clinic' });
  await fhirkeep.auth.accounts.addMember(clinic.id, 'drwho');
  await fhirkeep.consents.grant({ kind: 'organization', accountId: 'alice', organizationId: clinic.id }, 'alice');
});

after(async () => {
  await fhirkeep?.close();
  await new Promise((resolve) => app?.server.close(resolve));
  await database?.drop();
});

function formKeys(page: PageResponse): { request: string; csrf: string } {
  return { request: inputValue(page.text, 'request') ?? '', csrf: inputValue(page.text, 'csrf') ?? '' };
}

/** The app sends the browser to Fhirkeep; the browser signs in (unless it already is) and approves every scope. */
async function authorizeInBrowser(browser: TestBrowser, appUrl: string, email: string): Promise<Record<string, unknown>> {
  const toServer = await fetch(appUrl, { redirect: 'manual' });
  assert.equal(toServer.status, 302, await toServer.text());
  let page = await browser.follow(await browser.get(toServer.headers.get('location') ?? ''));
  if (/Sign in/.test(page.text)) {
    page = await browser.follow(await browser.post('/oauth2/authorize/login', { ...formKeys(page), email, password: PASSWORD }));
  }
  assert.match(page.text, /Allow access\?/);
  const scopes = [...page.text.matchAll(/name="scope" id="s\d+" value="([^"]+)"/g)].map((m) => m[1] ?? '');
  const approved = await browser.post('/oauth2/authorize/consent', { ...formKeys(page), decision: 'approve', scope: scopes });
  assert.equal(approved.status, 303);
  const callback = await fetch(approved.location ?? '');
  assert.equal(callback.status, 200, await callback.clone().text());
  return (await callback.json()) as Record<string, unknown>;
}

test('standalone patient launch: fhirclient discovers, authorizes with PKCE, gets the patient context and reads it', async () => {
  const result = await authorizeInBrowser(new TestBrowser(baseUrl), `${app.origin}/launch`, 'alice@example.org');
  assert.deepEqual(result, { patient: 'p1', encounter: null, fhirUser: 'Patient/p1', read: 'p1' });
});

test('EHR launch: a practitioner launches the app for a patient; no picker, the launch context arrives with the token', async () => {
  const browser = new TestBrowser(baseUrl);
  // Sign in through the pages, then use that session for the launch API (the lead's authenticateApi accepts it).
  const toServer = await fetch(`${app.origin}/launch`, { redirect: 'manual' });
  const login = await browser.follow(await browser.get(toServer.headers.get('location') ?? ''));
  await browser.post('/oauth2/authorize/login', { ...formKeys(login), email: 'drwho@example.org', password: PASSWORD });
  const created = await fetch(`${baseUrl}/api/launches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: browser.cookieHeader() ?? '' },
    body: JSON.stringify({ patient: 'p1', client_id: CLIENT_ID }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { launch_url: launchUrl } = (await created.json()) as { launch_url: string };
  const result = await authorizeInBrowser(browser, launchUrl, 'drwho@example.org');
  assert.deepEqual(result, { patient: 'p1', encounter: null, fhirUser: 'Practitioner/pr1', read: 'p1' });
});
