import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Account } from '../src/auth/accounts/account.js';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { httpClient, type HttpClient, type HttpResult } from './support/http.js';
import { APP_REDIRECT, portalSession } from './support/sign-in.js';

/**
 * A service's API keys over HTTP (docs/service-keys.md, "Managing keys"), with sessions got on
 * the login page: who may manage them, each secret shown once, the audit trail, bad input.
 */
let server: TestServer;
let http: HttpClient;
const PASSWORD = 'correct horse battery staple';
const people = {} as Record<'admin' | 'dev' | 'otherDev' | 'member' | 'outsider', { account: Account; cookie: string }>;
/** dev's service, its keys managed in the tests below (in order). */
let serviceId: string;
let smartAppId: string;
let teamId: string;

before(async () => {
  server = await startTestServer();
  http = httpClient(server.baseUrl);
  const { accounts, clients } = server.fhirkeep.auth;
  // The app whose login page hands out the sessions; a SMART app, so it can have no keys.
  smartAppId = (await clients.register({ type: 'smart', name: 'Portal', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['openid'] })).client.id;
  const roles = { admin: ['admin'], dev: ['developer'], otherDev: ['developer'], member: ['researcher'], outsider: ['developer'] } as const;
  for (const [who, role] of Object.entries(roles) as [keyof typeof roles, readonly string[]][]) {
    const email = `${who.toLowerCase()}@example.org`;
    const account = await accounts.create({ email, password: PASSWORD, roles: role });
    people[who] = { account, cookie: await portalSession(server.baseUrl, smartAppId, { email, password: PASSWORD }) };
  }
});
after(() => server?.close());

type Who = keyof typeof people;
const call = (who: Who | undefined, method: string, path: string, body?: unknown, raw?: string): Promise<HttpResult> =>
  http(method, path, {
    headers: { accept: 'application/json', 'content-type': 'application/json', ...(who === undefined ? {} : { cookie: people[who].cookie }) },
    ...(body === undefined ? {} : { body }),
    ...(raw === undefined ? {} : { raw }),
  });

function refused(r: HttpResult, status: number, code: string, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.text}`);
  assert.equal(r.json?.resourceType, 'OperationOutcome', what);
  assert.equal(r.json?.issue?.[0]?.code, code, what);
  assert.equal(r.headers.get('cache-control'), 'no-store', what);
}

const STATIC_SECRET = /^fhk_([0-9a-f]{20})_[A-Za-z0-9_-]{43}$/;
const REFRESH_SECRET = /^fhkr_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

test('the developer who registers a service manages it: each key type, each secret once, lists without secrets', async () => {
  const registered = await call('dev', 'POST', '/api/clients', { type: 'service', client_name: 'Lab feed', scope: 'system/Observation.rs' });
  assert.equal(registered.status, 201, registered.text);
  serviceId = registered.json.client_id;
  const manager = await call('dev', 'GET', `/api/clients/${serviceId}/manager`);
  assert.deepEqual([manager.status, manager.json, manager.headers.get('cache-control')], [200, { kind: 'account', id: people.dev.account.id }, 'no-store']);

  const made = await call('dev', 'POST', `/api/clients/${serviceId}/keys`, { type: 'static', name: ' nightly import ' });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.headers.get('cache-control'), 'no-store');
  assert.equal(made.headers.get('location'), `/api/keys/${made.json.key_id}`);
  assert.equal(STATIC_SECRET.exec(made.json.secret)?.[1], made.json.key_id, 'the static key names its id');
  assert.deepEqual(
    [made.json.client_id, made.json.type, made.json.name, made.json.created_by, made.json.revoked, made.json.certificate_cn],
    [serviceId, 'static', 'nightly import', people.dev.account.id, false, undefined],
  );
  const year = Date.parse(made.json.expires_at) - Date.parse(made.json.created_at);
  assert.equal(year, 365 * 24 * 3600 * 1000, 'a static key is valid one year');

  const refresh = await call('dev', 'POST', `/api/clients/${serviceId}/keys`, { type: 'refresh' });
  assert.equal(refresh.status, 201, refresh.text);
  assert.match(refresh.json.secret, REFRESH_SECRET);
  assert.deepEqual([refresh.json.type, refresh.json.name, refresh.json.expires_at], ['refresh', undefined, undefined]);

  const certificate = await call('dev', 'POST', `/api/clients/${serviceId}/keys`, { type: 'certificate', name: 'gateway' });
  assert.equal(certificate.status, 201, certificate.text);
  assert.equal(certificate.json.certificate_cn, `fhirkeep-key-${certificate.json.key_id}`);
  assert.equal('secret' in certificate.json, false, 'a certificate key has no secret: its CSR is signed');

  const listed = await call('dev', 'GET', `/api/clients/${serviceId}/keys`);
  assert.equal(listed.status, 200, listed.text);
  assert.equal(listed.headers.get('cache-control'), 'no-store');
  assert.deepEqual(
    listed.json.keys.map((k: { key_id: string; type: string }) => [k.key_id, k.type]),
    [made, refresh, certificate].map((r) => [r.json.key_id, r.json.type]),
  );
  // The secret parts alone too; a base64url secret may itself contain '_', so cut after the fixed-length id.
  for (const secret of [made.json.secret, refresh.json.secret, made.json.secret.slice('fhk_'.length + 20 + 1), refresh.json.secret.split('.')[1]]) {
    assert.equal(listed.text.includes(secret), false, 'a list never shows a secret');
  }
  assert.ok(listed.json.keys.every((k: Record<string, unknown>) => !('secret' in k)));
  assert.deepEqual(listed.json.keys[2], certificate.json);
});

test('anyone but the manager or an admin gets 403; without a session 401; unknown clients and keys 404', async () => {
  const [key] = (await call('dev', 'GET', `/api/clients/${serviceId}/keys`)).json.keys;
  for (const who of ['otherDev', 'member'] as const) {
    refused(await call(who, 'POST', `/api/clients/${serviceId}/keys`, { type: 'static' }), 403, 'forbidden', `${who} creates`);
    refused(await call(who, 'GET', `/api/clients/${serviceId}/keys`), 403, 'forbidden', `${who} lists`);
    refused(await call(who, 'DELETE', `/api/keys/${key.key_id}`), 403, 'forbidden', `${who} revokes`);
    refused(await call(who, 'GET', `/api/clients/${serviceId}/manager`), 403, 'forbidden', `${who} reads the manager`);
    refused(await call(who, 'PUT', `/api/clients/${serviceId}/manager`, { account: people[who].account.id }), 403, 'forbidden', `${who} takes over`);
  }
  // The hand-over is refused before the account is looked up: a non-manager learns nothing about emails.
  refused(await call('otherDev', 'PUT', `/api/clients/${serviceId}/manager`, { account: 'nobody@example.org' }), 403, 'forbidden', 'unknown email');
  assert.equal((await call('dev', 'GET', `/api/clients/${serviceId}/keys`)).json.keys[0].revoked, false, 'nothing was revoked');

  refused(await call(undefined, 'GET', `/api/clients/${serviceId}/keys`), 401, 'login', 'no session');
  refused(await call(undefined, 'DELETE', `/api/keys/${key.key_id}`), 401, 'login', 'no session');
  for (const [method, path] of [['POST', '/api/clients/no-such-client/keys'], ['GET', '/api/clients/no-such-client/keys'], ['GET', '/api/clients/no-such-client/manager']] as const) {
    refused(await call('admin', method, path, method === 'POST' ? { type: 'static' } : undefined), 404, 'not-found', `${method} ${path}`);
  }
  refused(await call('admin', 'PUT', '/api/clients/no-such-client/manager', { account: people.dev.account.id }), 404, 'not-found', 'hand over an unknown client');
  for (const id of ['00000000000000000000', 'not-a-key-id']) {
    refused(await call('admin', 'DELETE', `/api/keys/${id}`), 404, 'not-found', `revoke ${id}`);
    refused(await call('admin', 'POST', `/api/keys/${id}/certificate`, { csr: 'x' }), 404, 'not-found', `sign for ${id}`);
  }
});

test('management handed to a team: its members manage the keys, the developer and non-members no longer; an admin always', async () => {
  const { accounts } = server.fhirkeep.auth;
  const organization = await accounts.createOrganization({ name: 'Lab Co' });
  const team = await accounts.createTeam(organization.id, 'Integrations');
  teamId = team.id;
  await accounts.addMember(team.id, people.member.account.id);
  await accounts.addMember(organization.id, people.outsider.account.id);

  const handed = await call('dev', 'PUT', `/api/clients/${serviceId}/manager`, { organization: team.id });
  assert.deepEqual([handed.status, handed.json, handed.headers.get('cache-control')], [200, { kind: 'organization', id: team.id }, 'no-store']);
  assert.deepEqual((await call('member', 'GET', `/api/clients/${serviceId}/manager`)).json, { kind: 'organization', id: team.id });
  const managed = async (who: Who) => {
    const r = await call(who, 'GET', '/api/managed-clients');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    return (r.json.clients as { client_id: string }[]).map((c) => c.client_id);
  };
  const listed = await call('member', 'GET', '/api/managed-clients');
  assert.deepEqual(listed.json.clients, [{ client_id: serviceId, client_name: 'Lab feed', type: 'service', revoked: false }], "the team's member finds the service");
  assert.ok(!(await managed('dev')).includes(serviceId), 'the developer manages it no longer');
  assert.ok(!(await managed('outsider')).includes(serviceId), "the organization's member is not the team's");
  refused(await call(undefined, 'GET', '/api/managed-clients'), 401, 'login', 'no session');

  const made = await call('member', 'POST', `/api/clients/${serviceId}/keys`, { type: 'static', name: 'team key' });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.json.created_by, people.member.account.id);
  assert.equal((await call('member', 'GET', `/api/clients/${serviceId}/keys`)).json.keys.length, 4);
  const revoked = await call('member', 'DELETE', `/api/keys/${made.json.key_id}`);
  assert.deepEqual([revoked.status, revoked.json.key_id, revoked.json.revoked, typeof revoked.json.revoked_at], [200, made.json.key_id, true, 'string']);

  // The organization's member is not the team's: a team is its own set of members.
  for (const who of ['dev', 'outsider', 'otherDev'] as const) {
    refused(await call(who, 'GET', `/api/clients/${serviceId}/keys`), 403, 'forbidden', `${who} lists`);
    refused(await call(who, 'POST', `/api/clients/${serviceId}/keys`, { type: 'refresh' }), 403, 'forbidden', `${who} creates`);
    refused(await call(who, 'DELETE', `/api/keys/${made.json.key_id}`), 403, 'forbidden', `${who} revokes`);
  }

  const byAdmin = await call('admin', 'POST', `/api/clients/${serviceId}/keys`, { type: 'refresh' });
  assert.equal(byAdmin.status, 201, byAdmin.text);
  assert.equal((await call('admin', 'DELETE', `/api/keys/${byAdmin.json.key_id}`)).json.revoked, true);
  // Handed back by email (an admin may, not being the manager).
  const back = await call('admin', 'PUT', `/api/clients/${serviceId}/manager`, { account: 'dev@example.org' });
  assert.deepEqual([back.status, back.json], [200, { kind: 'account', id: people.dev.account.id }]);
  assert.equal((await call('dev', 'GET', `/api/clients/${serviceId}/keys`)).status, 200);
  refused(await call('member', 'GET', `/api/clients/${serviceId}/keys`), 403, 'forbidden', 'the team after the hand-back');
  assert.deepEqual([await managed('member'), (await managed('dev')).includes(serviceId)], [[], true], 'the hand-back, in both lists');

  refused(await call('dev', 'PUT', `/api/clients/${serviceId}/manager`, { account: 'nobody@example.org' }), 404, 'not-found', 'unknown email');
  refused(await call('dev', 'PUT', `/api/clients/${serviceId}/manager`, { account: 'no-such-account' }), 404, 'not-found', 'unknown account id');
  refused(await call('dev', 'PUT', `/api/clients/${serviceId}/manager`, { organization: 'no-such-org' }), 404, 'not-found', 'unknown organization');
  assert.deepEqual((await call('dev', 'GET', `/api/clients/${serviceId}/manager`)).json, { kind: 'account', id: people.dev.account.id }, 'a refused hand-over changes nothing');
});

test('revoking twice is harmless; keys only for services, brokers and research partners that are not revoked', async () => {
  const made = await call('dev', 'POST', `/api/clients/${serviceId}/keys`, { type: 'certificate' });
  const first = await call('dev', 'DELETE', `/api/keys/${made.json.key_id}`);
  const second = await call('dev', 'DELETE', `/api/keys/${made.json.key_id}`);
  assert.deepEqual([first.status, second.status], [200, 200]);
  assert.deepEqual(second.json, first.json, 'the second revocation changes nothing');
  refused(await call('dev', 'POST', `/api/keys/${made.json.key_id}/certificate`, { csr: 'x' }), 400, 'invalid', 'a revoked key gets no certificate');

  const app = await call('dev', 'POST', '/api/clients', { type: 'smart', client_name: 'Chart', public: true, redirect_uris: ['https://chart.example/cb'] });
  refused(await call('dev', 'POST', `/api/clients/${app.json.client_id}/keys`, { type: 'static' }), 400, 'invalid', 'a SMART app');
  const gone = await call('dev', 'POST', '/api/clients', { type: 'broker', client_name: 'Old broker' });
  assert.equal((await call('dev', 'DELETE', `/api/clients/${gone.json.client_id}`)).status, 200);
  refused(await call('dev', 'POST', `/api/clients/${gone.json.client_id}/keys`, { type: 'static' }), 400, 'invalid', 'a revoked client');
  const research = await call('dev', 'POST', '/api/clients', { type: 'research', client_name: 'Study' });
  assert.equal((await call('dev', 'POST', `/api/clients/${research.json.client_id}/keys`, { type: 'refresh' })).status, 201);
});

test('bad bodies are 400 OperationOutcomes (415 for another media type); nothing is created', async () => {
  const keys = `/api/clients/${serviceId}/keys`;
  const before = (await call('dev', 'GET', keys)).json.keys.length;
  refused(await call('dev', 'POST', keys, undefined, '{"type": "static"'), 400, 'invalid', 'not JSON');
  refused(await call('dev', 'POST', keys, undefined, ''), 400, 'invalid', 'no body');
  refused(await call('dev', 'POST', keys, { type: 'ssh' }), 400, 'invalid', 'an unknown type');
  refused(await call('dev', 'POST', keys, {}), 400, 'invalid', 'no type');
  refused(await call('dev', 'POST', keys, { type: 'static', expires_at: '2099-01-01' }), 400, 'invalid', 'an extra field');
  refused(await call('dev', 'POST', keys, { type: 'static', name: 'x'.repeat(201) }), 400, 'invalid', 'a name too long');
  refused(await call('dev', 'POST', keys, { type: 'static', name: '  ' }), 400, 'invalid', 'a blank name');
  refused(await call('dev', 'POST', keys, { type: 'static', name: 7 }), 400, 'invalid', 'a name of the wrong type');
  refused(await call('dev', 'POST', keys, [{ type: 'static' }]), 400, 'invalid', 'an array');
  const form = await http('POST', keys, { raw: 'type=static', headers: { cookie: people.dev.cookie, 'content-type': 'application/x-www-form-urlencoded' } });
  refused(form, 415, 'not-supported', 'a form');
  const named = await call('dev', 'POST', keys, { type: 'ssh' });
  assert.match(named.json.issue[0].diagnostics, /type/, 'the message names the field');
  assert.equal((await call('dev', 'GET', keys)).json.keys.length, before);

  const manager = `/api/clients/${serviceId}/manager`;
  for (const [body, what] of [[{}, 'neither'], [{ account: people.dev.account.id, organization: 'x' }, 'both'], [{ team: 'x' }, 'an unknown field'], [{ account: '' }, 'an empty id'], [{ account: 1 }, 'a number']] as const) {
    refused(await call('dev', 'PUT', manager, body), 400, 'invalid', `manager: ${what}`);
  }
  const [key] = (await call('dev', 'GET', keys)).json.keys;
  refused(await call('dev', 'POST', `/api/keys/${key.key_id}/certificate`, { csr: 'x', cn: 'y' }), 400, 'invalid', 'certificate: an extra field');
  refused(await call('dev', 'POST', `/api/keys/${key.key_id}/certificate`, {}), 400, 'invalid', 'certificate: no csr');
  refused(await call('dev', 'POST', `/api/keys/${key.key_id}/certificate`, { csr: 'x' }), 400, 'invalid', 'certificate: a static key');
});

test('every key creation, revocation and hand-over is a security event', async () => {
  const expected = { 'key-create': 7, 'key-revoke': 4, 'client-manager-change': 2 };
  let counts: Record<string, number> = {};
  // Events are written in the background (no request waits for its audit row).
  for (const deadline = Date.now() + 3000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) {
    const events = (await recentSecurityEvents(server.fhirkeep.database.sql, 1000)).filter((e) => e.kind in expected);
    counts = Object.fromEntries(Object.keys(expected).map((kind) => [kind, events.filter((e) => e.kind === kind).length]));
    if (JSON.stringify(counts) === JSON.stringify(expected)) break;
  }
  assert.deepEqual(counts, expected);
  const events = await recentSecurityEvents(server.fhirkeep.database.sql, 1000);
  const handOver = events.find((e) => e.kind === 'client-manager-change' && e.accountId === people.dev.account.id);
  assert.deepEqual([handOver?.clientId, handOver?.outcome, handOver?.detail], [serviceId, 'success', { manager: { kind: 'organization', id: teamId } }]);
  const revoke = events.find((e) => e.kind === 'key-revoke' && e.accountId === people.member.account.id);
  assert.deepEqual([revoke?.clientId, revoke?.detail?.type], [serviceId, 'static']);
  assert.ok(events.every((e) => !JSON.stringify(e.detail).includes('fhk_')), 'no secret reaches the audit trail');
});
