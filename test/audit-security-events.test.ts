import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { keyActorFor } from '../src/auth/keys/key-service.js';
import { auditRows, type StoredAuditRow } from './support/audit.js';
import { TestBrowser } from './support/browser.js';
import { webCsr } from './support/certificate-requests.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { APP_REDIRECT, signIn } from './support/sign-in.js';

/**
 * Security events land in the one audit trail (docs/audit.md) with their DICOM codes: logins
 * (and failed ones), token issue, refresh and revocation over HTTP; keys, certificates, consents
 * and access filters through the services the API and the CLI call.
 */
let server: TestServer;
const PASSWORD = 'correct horse battery staple';
let appId: string;
let accountId: string;

before(async () => {
  server = await startTestServer();
  const { accounts, clients } = server.fhirkeep.auth;
  accountId = (await accounts.create({ email: 'pat@example.org', password: PASSWORD, roles: ['patient'], patientId: 'pat1' })).id;
  appId = (await clients.register({ type: 'smart', name: 'app', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['launch/patient', 'patient/*.rs', 'offline_access'] })).client.id;
});
after(() => server.close());

const securityRows = async (): Promise<StoredAuditRow[]> => (await auditRows(server.fhirkeep)).filter((r) => r.type !== 'rest');
const codes = (r: StoredAuditRow | undefined) => [r?.type, r?.subtype, r?.action, r?.outcome];

test('a login, a failed one, and tokens issued, refreshed and revoked are each a row', async () => {
  const tokens = await signIn(server.baseUrl, appId, { email: 'pat@example.org', password: PASSWORD }, 'launch/patient patient/*.rs offline_access');
  const config = await oidc.discovery(new URL(server.baseUrl), appId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
  await oidc.tokenRevocation(config, refreshed.refresh_token ?? '');

  const browser = new TestBrowser(server.baseUrl);
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: APP_REDIRECT, scope: 'launch/patient', aud: `${server.baseUrl}/fhir`, state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
  const login = await browser.follow(await browser.get(url.href));
  const hidden = Object.fromEntries([...login.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
  await browser.post('/oauth2/authorize/login', { ...hidden, email: 'pat@example.org', password: 'wrong password' });

  const rows = await securityRows();
  const find = (subtype: string, outcome = 0) => rows.find((r) => r.subtype === subtype && r.outcome === outcome);
  assert.deepEqual(codes(find('login')), ['110114', 'login', 'E', 0]);
  assert.deepEqual(codes(find('login', 4)), ['110114', 'login', 'E', 4], 'the wrong password');
  assert.equal(find('login', 4)?.account_id, accountId);
  assert.deepEqual(codes(find('token-issue')), ['110114', 'token-issue', 'E', 0]);
  assert.deepEqual(codes(find('token-refresh')), ['110114', 'token-refresh', 'E', 0]);
  assert.deepEqual(codes(find('token-revoke')), ['110113', 'token-revoke', 'D', 0]);
  assert.deepEqual([find('token-issue')?.client_id, find('token-issue')?.account_id], [appId, accountId]);
  assert.ok(!JSON.stringify(rows).includes(tokens.access_token) && !JSON.stringify(rows).includes(PASSWORD), 'no token or password in the trail');
});

test('key creation and revocation, a certificate, a consent change and a filter change are each a row', async () => {
  const { auth, consents } = server.fhirkeep;
  const serviceId = (await auth.clients.register({ type: 'service', name: 'lab' })).client.id;
  const adminId = (await auth.accounts.create({ email: 'keeper@example.org', password: PASSWORD, roles: ['admin'] })).id;
  const admin = keyActorFor({ accountId: adminId, roles: ['admin'] });
  const key = await auth.serviceKeys.create(serviceId, { type: 'certificate' }, admin);
  await auth.serviceKeys.signCertificate(key.key.id, (await webCsr('ec-p256', `CN=fhirkeep-key-${key.key.id}`)).csrPem, admin);
  await auth.serviceKeys.revoke(key.key.id, admin);
  await consents.grant({ accountId, clientId: serviceId });
  await auth.accessFilters.setAccessFilter(serviceId, { filter: null, reach: 'all' });

  const rows = (await securityRows()).filter((r) => r.client_id === serviceId);
  const find = (subtype: string) => rows.find((r) => r.subtype === subtype);
  assert.deepEqual(codes(find('key-create')), ['110113', 'key-create', 'C', 0]);
  assert.deepEqual(codes(find('certificate-sign')), ['110113', 'certificate-sign', 'C', 0]);
  assert.deepEqual(codes(find('key-revoke')), ['110113', 'key-revoke', 'D', 0]);
  assert.deepEqual(codes(find('consent-change')), ['110113', 'consent-change', 'U', 0]);
  assert.deepEqual(codes(find('client-filter-change')), ['110113', 'client-filter-change', 'U', 0]);
});
