/**
 * Static and refresh API keys over HTTP (docs/service-keys.md): a service reads its subscribers'
 * records with a key; revocation, expiry (a clock the test moves), rotation and replay each end
 * access on the next request, on every node. Refresh keys are exchanged with openid-client.
 * Certificates and the mTLS listener: test/mtls.test.ts; brokers: test/data-broker.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import type { KeyActor } from '../src/auth/keys/key-service.js';
import { parseConfig } from '../src/config/load.js';
import { createFhirkeep } from '../src/server.js';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { startTestServer, TEST_NODE_SETTINGS, type TestServer } from './support/fhirkeep-server.js';
import { seedHolders } from './support/holders.js';

const OPERATOR: KeyActor = { accountId: undefined, admin: true };
const DAY = 24 * 3600 * 1000;
let server: TestServer;
/** How far the server's clock is ahead of the real one. */
let ahead = 0;
let feed: string;
let otherFeed: string;
let alice: string;
const observations: Record<string, string> = {};

before(async () => {
  server = await startTestServer({}, { clock: () => Date.now() + ahead });
  const { accounts, clients } = server.fhirkeep.auth;
  alice = (await accounts.create({ email: 'alice@example.org', password: 'correct horse battery staple', roles: ['patient'], patientId: 'pA' })).id;
  await accounts.create({ email: 'bob@example.org', password: 'correct horse battery staple', roles: ['patient'], patientId: 'pB' });
  Object.assign(observations, await seedHolders(server, ['pA', 'pB']));
  feed = (await clients.register({ type: 'service', name: 'Feed', scopes: ['system/*.rs'] })).client.id;
  otherFeed = (await clients.register({ type: 'service', name: 'Other feed', scopes: ['system/*.rs'] })).client.id;
  await server.fhirkeep.consents.grant({ accountId: alice, clientId: feed });
});
after(() => server.close());

async function read(path: string, authorization: string | undefined, base = server.fhirBase): Promise<{ status: number; body: { resourceType?: string; entry?: { resource: { id: string } }[]; issue?: { diagnostics?: string }[] } }> {
  const res = await fetch(`${base}/${path}`, { headers: authorization === undefined ? {} : { authorization } });
  return { status: res.status, body: (await res.json()) as never };
}
const idsOf = (body: { entry?: { resource: { id: string } }[] }) => (body.entry ?? []).map((e) => e.resource.id).sort();
const staticKey = async (client: string) => {
  const { key, secret } = await server.fhirkeep.auth.serviceKeys.create(client, { type: 'static' }, OPERATOR);
  return { id: key.id, secret: secret ?? '' };
};

test('a static key reads exactly its subscribers’ records, while they are subscribed', async () => {
  const key = await staticKey(feed);
  assert.match(key.secret, /^fhk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
  const bearer = `Bearer ${key.secret}`;
  assert.deepEqual(idsOf((await read('Observation', bearer)).body), [observations['pA']], 'Alice subscribed; Bob did not');
  assert.equal((await read(`Observation/${observations['pB'] ?? ''}`, bearer)).status, 404, 'another holder reads as missing');

  // Bob subscribes, then unsubscribes: the key sees him exactly meanwhile.
  const bob = (await server.fhirkeep.auth.accounts.findByEmail('bob@example.org'))?.id ?? '';
  const subscription = await server.fhirkeep.consents.grant({ accountId: bob, clientId: feed });
  assert.deepEqual(idsOf((await read('Observation', bearer)).body), [observations['pA'], observations['pB']].sort());
  await server.fhirkeep.consents.revoke(subscription.id);
  assert.deepEqual(idsOf((await read('Observation', bearer)).body), [observations['pA']], 'the next request after unsubscribing');

  // Another service's key reads its own subscribers: nobody's.
  const other = await staticKey(otherFeed);
  assert.deepEqual(idsOf((await read('Observation', `Bearer ${other.secret}`)).body), []);
});

test('a revoked static key fails on its very next request, on this node and on another', async () => {
  const second = await createFhirkeep(parseConfig({ FHIRKEEP_PORT: '0', FHIRKEEP_DATABASE_URL: server.databaseUrl, ...TEST_NODE_SETTINGS }), { logger: pino({ level: 'silent' }) });
  try {
    const secondBase = `${await second.listen()}/fhir`;
    const key = await staticKey(feed);
    const bearer = `Bearer ${key.secret}`;
    assert.equal((await read('Observation', bearer)).status, 200);
    assert.equal((await read('Observation', bearer, secondBase)).status, 200, 'the other node has the key row cached now');
    await server.fhirkeep.auth.serviceKeys.revoke(key.id, OPERATOR);
    const refused = await read('Observation', bearer);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.resourceType, 'OperationOutcome');
    assert.match(refused.body.issue?.[0]?.diagnostics ?? '', /revoked/);
    // The other node learns by NOTIFY, within moments.
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await read('Observation', bearer, secondBase)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 401);
    // Security events are written beside the request, not inside it: wait for this one to land.
    let recorded = false;
    for (let i = 0; i < 150 && !recorded; i++) {
      recorded = (await recentSecurityEvents(server.fhirkeep.database.sql, 50)).some((e) => e.kind === 'key-revoke' && (e.detail as { key_id?: string }).key_id === key.id);
      if (!recorded) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(recorded, 'the revocation is a security event');
  } finally {
    await second.close();
  }
});

test('a static key is valid one year', async () => {
  const key = await staticKey(feed);
  const bearer = `Bearer ${key.secret}`;
  ahead = 364 * DAY;
  try {
    assert.equal((await read('Observation', bearer)).status, 200);
    ahead = 366 * DAY;
    const expired = await read('Observation', bearer);
    assert.equal(expired.status, 401);
    assert.match(expired.body.issue?.[0]?.diagnostics ?? '', /expired/);
  } finally {
    ahead = 0;
  }
});

test('malformed or made-up credentials are clear 4xx OperationOutcomes', async () => {
  const key = await staticKey(feed);
  const [, id = '', secret = ''] = /^fhk_([0-9a-f]{20})_(.+)$/.exec(key.secret) ?? [];
  const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
  const cases: [string | undefined, number][] = [
    [undefined, 401],
    ['Bearer', 400],
    ['Bearer ', 400],
    ['Bearer ;grp=x', 400],
    ['Basic Zm9vOmJhcg==', 400],
    [`Bearer fhk_${id}_${flipped}`, 401],
    [`Bearer fhk_${'0'.repeat(20)}_${secret}`, 401],
    ['Bearer fhk_', 401],
    [`Bearer fhk_${id}_${secret}x`, 401],
    [`Bearer ${key.secret};;;;;`, 200],
    [`Bearer ${key.secret}; grp=someone`, 401],
    [`Bearer ${key.secret}; grp=x' or 1=1--`, 401],
  ];
  for (const [authorization, status] of cases) {
    const res = await read('Observation', authorization);
    assert.equal(res.status, status, `${authorization ?? '(none)'}: ${JSON.stringify(res.body)}`);
    if (status !== 200) assert.equal(res.body.resourceType, 'OperationOutcome');
  }
});

test('a refresh key: 5-hour access tokens, rotation keeps only the newest pair, a replay revokes the key', async () => {
  const { key, secret } = await server.fhirkeep.auth.serviceKeys.create(feed, { type: 'refresh', name: 'nightly sync' }, OPERATOR);
  assert.match(secret ?? '', /^fhkr_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  // The refresh token is the credential: the client identifies itself only.
  const config = await oidc.discovery(new URL(server.baseUrl), feed, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const first = await oidc.refreshTokenGrant(config, secret ?? '');
  assert.equal(first.expires_in, 5 * 3600);
  assert.equal(first.scope, 'system/*.rs');
  assert.ok(first.refresh_token !== undefined && first.refresh_token !== secret);
  assert.deepEqual(idsOf((await read('Observation', `Bearer ${first.access_token}`)).body), [observations['pA']]);

  const second = await oidc.refreshTokenGrant(config, first.refresh_token ?? '');
  assert.equal((await read('Observation', `Bearer ${second.access_token}`)).status, 200);
  assert.equal((await read('Observation', `Bearer ${first.access_token}`)).status, 401, 'the access token issued before the refresh stops working');

  // The used refresh token again: it leaked, so the key and everything it issued are revoked.
  await assert.rejects(oidc.refreshTokenGrant(config, first.refresh_token ?? ''), (e: unknown) => (e as { error?: string }).error === 'invalid_grant');
  assert.equal((await read('Observation', `Bearer ${second.access_token}`)).status, 401, 'the newest access token dies with the key');
  await assert.rejects(oidc.refreshTokenGrant(config, second.refresh_token ?? ''), (e: unknown) => (e as { error?: string }).error === 'invalid_grant');
  const listed = await server.fhirkeep.auth.serviceKeys.list(feed, OPERATOR);
  assert.ok(listed.find((k) => k.id === key.id)?.revokedAt !== undefined);
});

test('a key’s last use is noted: a static key by its requests, a refresh key by its refreshes; a failed attempt is no use', async () => {
  const lastUsed = async (id: string) => (await server.fhirkeep.auth.serviceKeys.list(feed, OPERATOR)).find((k) => k.id === id)?.lastUsedAt;
  const key = await staticKey(feed);
  await server.fhirkeep.auth.flushKeyUsage();
  assert.equal(await lastUsed(key.id), undefined, 'never used yet');

  assert.equal((await read('Observation', `Bearer ${key.secret.slice(0, -1)}${key.secret.endsWith('A') ? 'B' : 'A'}`)).status, 401);
  await server.fhirkeep.auth.flushKeyUsage();
  assert.equal(await lastUsed(key.id), undefined, 'a wrong secret under the key’s id does not count');

  const before = Date.now() + ahead;
  assert.equal((await read('Observation', `Bearer ${key.secret}`)).status, 200);
  await server.fhirkeep.auth.flushKeyUsage();
  const first = await lastUsed(key.id);
  assert.ok(first !== undefined && first.getTime() >= before - 1000, 'the request is the key’s last use');

  // Within the minute: noted, but not worth a write.
  assert.equal((await read('Observation', `Bearer ${key.secret}`)).status, 200);
  await server.fhirkeep.auth.flushKeyUsage();
  assert.equal((await lastUsed(key.id))?.getTime(), first.getTime());
  // Two minutes later (the server's clock): written again.
  ahead += 2 * 60_000;
  assert.equal((await read('Observation', `Bearer ${key.secret}`)).status, 200);
  await server.fhirkeep.auth.flushKeyUsage();
  assert.ok(((await lastUsed(key.id))?.getTime() ?? 0) >= first.getTime() + 2 * 60_000);

  const refresh = await server.fhirkeep.auth.serviceKeys.create(feed, { type: 'refresh' }, OPERATOR);
  const config = await oidc.discovery(new URL(server.baseUrl), feed, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  assert.equal(await lastUsed(refresh.key.id), undefined);
  await oidc.refreshTokenGrant(config, refresh.secret ?? '');
  assert.ok((await lastUsed(refresh.key.id)) !== undefined, 'a refresh is the use of a refresh key');
});

test('a refresh key’s token is refused for another client, garbage is invalid_grant, and revoking the key ends its access tokens', async () => {
  const { key, secret } = await server.fhirkeep.auth.serviceKeys.create(feed, { type: 'refresh' }, OPERATOR);
  const form = (params: Record<string, string>) => fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
  const wrongClient = await form({ grant_type: 'refresh_token', refresh_token: secret ?? '', client_id: otherFeed });
  assert.equal(wrongClient.status, 400);
  assert.equal(((await wrongClient.json()) as { error: string }).error, 'invalid_grant');
  for (const garbage of ['fhkr_', 'fhkr_x.y', `${secret ?? ''}x`, 'fhkr_\u0000.a']) {
    const res = await form({ grant_type: 'refresh_token', refresh_token: garbage });
    assert.equal(res.status, 400, garbage);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  }
  const ok = await form({ grant_type: 'refresh_token', refresh_token: secret ?? '' });
  assert.equal(ok.status, 200, 'the refused attempts did not use the token up');
  const { access_token: token } = (await ok.json()) as { access_token: string };
  assert.equal((await read('Observation', `Bearer ${token}`)).status, 200);
  await server.fhirkeep.auth.serviceKeys.revoke(key.id, OPERATOR);
  assert.equal((await read('Observation', `Bearer ${token}`)).status, 401);
});
