/**
 * The access engine over HTTP (docs/access.md): applications with access filters, account holders'
 * consents, subscriptions, organization shares and a data broker, against a running Fhirkeep.
 * Tokens come from the real flows (openid-client: authorization code with PKCE, client
 * credentials); consents change through the consent service as the portal and CLI change them.
 * The exhaustive per-dimension matrix runs at the storage layer (src/storage/consent-scope.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { PUBLIC_LABEL } from '../src/access/filter/access-filter.js';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { createFhirkeep } from '../src/server.js';
import { startTestServer, TEST_NODE_SETTINGS, type TestServer } from './support/fhirkeep-server.js';
import { institutionToken } from './support/institution.js';
import { APP_REDIRECT, signIn } from './support/sign-in.js';

let server: TestServer;
const PASSWORD = 'correct horse battery staple';
const LOINC = 'http://loinc.org';
const FROM_APP = 'http://example.org/tags|from-weights';
const ids: Record<string, string> = {};
let weightsApp: string;
let chartApp: string;
let feed: { id: string; secret: string };
let broker: { id: string; secret: string };
let clinic: string;

const observation = (patient: string, code: string, labels: readonly string[] = []) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: `Patient/${patient}` },
  ...(labels.length === 0 ? {} : { meta: { security: labels.map((l) => ({ system: l.slice(0, l.indexOf('|')), code: l.slice(l.indexOf('|') + 1) })) } }),
});

before(async () => {
  server = await startTestServer();
  const { accounts, clients, accessFilters } = server.fhirkeep.auth;
  await accounts.create({ email: 'alice@example.org', password: PASSWORD, roles: ['patient'], patientId: 'pA' });
  const bob = await accounts.create({ email: 'bob@example.org', password: PASSWORD, roles: ['patient'], patientId: 'pB' });
  const dr = await accounts.create({ email: 'dr@example.org', password: PASSWORD, roles: ['practitioner'], practitionerId: 'dr1' });
  clinic = (await accounts.createOrganization({ name: 'Clinic' })).id;
  await accounts.addMember(clinic, dr.id);
  ids['bob'] = bob.id;

  const seed = await institutionToken(server.fhirkeep);
  const put = async (path: string, body: object) => {
    const res = await fetch(`${server.fhirBase}/${path}`, { method: 'PUT', headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    assert.ok(res.ok, await res.text());
  };
  const post = async (key: string, body: object) => {
    const res = await fetch(`${server.fhirBase}/Observation`, { method: 'POST', headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    ids[key] = (JSON.parse(text) as { id: string }).id;
  };
  await put('Patient/pA', { resourceType: 'Patient', id: 'pA', name: [{ family: 'Alpha' }] });
  await put('Patient/pB', { resourceType: 'Patient', id: 'pB', name: [{ family: 'Beta' }] });
  await put('Practitioner/dr1', { resourceType: 'Practitioner', id: 'dr1' });
  await post('aliceWeight', observation('pA', '29463-7'));
  await post('aliceHeart', observation('pA', '8867-4'));
  await post('bobWeight', observation('pB', '29463-7'));
  await post('bobPublic', observation('pB', '29463-7', [PUBLIC_LABEL]));

  const smart = (name: string) => clients.register({ type: 'smart', name, isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['openid', 'user/*.cruds'] });
  weightsApp = (await smart('Weights')).client.id;
  await accessFilters.setAccessFilter(weightsApp, { filter: { content: 'body/weight', public: 'also', 'add-tag': 'http://example.org/tags from-weights' }, writeMode: 'create' });
  chartApp = (await smart('Chart')).client.id;
  const service = async (type: 'service' | 'broker', name: string) => {
    const made = await clients.register({ type, name, scopes: ['system/*.rs'] });
    return { id: made.client.id, secret: made.secret ?? '' };
  };
  feed = await service('service', 'Lab feed');
  await accessFilters.setAccessFilter(feed.id, { filter: { format: 'fhir/Observation' } });
  broker = await service('broker', 'Broker');
});
after(() => server.close());

async function get(path: string, token: string): Promise<{ status: number; json: { entry?: { resource: { resourceType: string; id: string; meta?: { security?: { system?: string; code: string }[] } }; search?: { mode: string } }[] } & Record<string, unknown> }> {
  const res = await fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as never };
}
const found = async (path: string, token: string, mode = 'match'): Promise<string[]> => {
  const res = await get(path, token);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return (res.json.entry ?? []).filter((e) => (e.search?.mode ?? 'match') === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
};
const obs = (...keys: string[]) => keys.map((k) => `Observation/${ids[k] ?? k}`).sort();

async function clientToken(client: { id: string; secret: string }): Promise<string> {
  const config = await oidc.discovery(new URL(server.baseUrl), client.id, undefined, oidc.ClientSecretBasic(client.secret), { execute: [oidc.allowInsecureRequests] });
  return (await oidc.clientCredentialsGrant(config, { scope: 'system/*.rs' })).access_token;
}

test('an app sees what its filter and the holder’s consent allow: its content, the holder’s own, the public pool', async () => {
  const { access_token: token } = await signIn(server.baseUrl, weightsApp, { email: 'alice@example.org', password: PASSWORD }, 'openid user/*.cruds');
  assert.deepEqual(await found('Observation', token), obs('aliceWeight', 'bobPublic'), 'her weights and public weights; not her heart rate, not Bob’s private weight');
  assert.equal((await get(`Observation/${ids['aliceWeight'] ?? ''}`, token)).status, 200);
  assert.equal((await get(`Observation/${ids['bobPublic'] ?? ''}`, token)).status, 200, 'the public pool');
  assert.equal((await get(`Observation/${ids['aliceHeart'] ?? ''}`, token)).status, 404, 'outside the filter reads as missing');
  assert.equal((await get(`Observation/${ids['bobWeight'] ?? ''}`, token)).status, 404, 'another holder’s record reads as missing');
  assert.equal((await get('Condition', token)).status, 403, 'a type the filter cannot match is refused');
  assert.equal((await get('Patient/pA/$everything', token)).status, 403, 'the filter has no Patient content');
  assert.deepEqual(await found('Observation?_include=Observation:subject', token, 'include'), [], 'includes stay inside the filter too');
  const history = await get('Observation/_history', token);
  assert.deepEqual([...new Set((history.json.entry ?? []).map((e) => `Observation/${e.resource.id}`))].sort(), obs('aliceWeight', 'bobPublic'));

  const create = (body: object) => fetch(`${server.fhirBase}/Observation`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
  const made = await create(observation('pA', '29463-7'));
  assert.equal(made.status, 201);
  const labels = ((await made.json()) as { meta: { security?: { system: string; code: string }[] } }).meta.security?.map((s) => `${s.system}|${s.code}`);
  assert.deepEqual(labels, [FROM_APP], 'the filter’s add-tag is stamped on what the app creates');
  assert.equal((await create(observation('pA', '8867-4'))).status, 403, 'a created record must pass the filter (write mode create)');
  assert.equal((await create(observation('pB', '29463-7'))).status, 403, 'and lie within the holder’s consents');
  const del = await fetch(`${server.fhirBase}/Observation/${ids['aliceWeight'] ?? ''}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  assert.equal(del.status, 403, 'write mode create does not delete');
});

test('unsubscribing removes the holder’s data from the service’s next query', async () => {
  const token = await clientToken(feed);
  assert.deepEqual(await found('Observation', token), [], 'no subscriber yet');
  const subscription = await server.fhirkeep.consents.grant({ accountId: (await server.fhirkeep.auth.accounts.findByEmail('alice@example.org'))?.id ?? '', clientId: feed.id });
  const alices = await found('Observation', token);
  assert.ok(alices.includes(`Observation/${ids['aliceHeart'] ?? ''}`) && alices.includes(`Observation/${ids['aliceWeight'] ?? ''}`));
  assert.ok(!alices.includes(`Observation/${ids['bobWeight'] ?? ''}`), 'Bob never subscribed');
  assert.equal((await get('Patient/pA', token)).status, 403, 'the filter names Observation only');
  await server.fhirkeep.consents.revoke(subscription.id);
  assert.deepEqual(await found('Observation', token), [], 'the very next query, with the same token');
});

test('a filter saved on one node applies to a service’s live token from its next request, on every node', async () => {
  const second = await createFhirkeep(parseConfig({ FHIRKEEP_PORT: '0', FHIRKEEP_DATABASE_URL: server.databaseUrl, ...TEST_NODE_SETTINGS }), { logger: pino({ level: 'silent' }) });
  try {
    const secondBase = await second.listen();
    const token = await clientToken(feed);
    assert.equal((await get('Observation', token)).status, 200);
    // Each node is its own audience (base URL): the second node's token is issued there.
    const secondToken = (await second.auth.accessTokens.issue({ sub: feed.id, client_id: feed.id, scope: 'system/*.rs', gid: crypto.randomUUID() })).token;
    const onSecondNode = async () => (await fetch(`${secondBase}/fhir/Observation`, { headers: { authorization: `Bearer ${secondToken}` } })).status;
    assert.equal(await onSecondNode(), 200, 'its scope is compiled and cached there');
    await server.fhirkeep.auth.accessFilters.setAccessFilter(feed.id, { filter: { format: 'fhir/Condition' } });
    assert.equal((await get('Observation', token)).status, 403, 'this node: the very next request');
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = await onSecondNode();
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 403, 'the other node learns of the change within a second');
  } finally {
    await second.close();
    await server.fhirkeep.auth.accessFilters.setAccessFilter(feed.id, { filter: { format: 'fhir/Observation' } });
  }
});

test('organization shares reach its members’ apps while they are active; a broker’s key alone reaches no holder', async () => {
  const share = await server.fhirkeep.consents.grant({ kind: 'organization', accountId: ids['bob'] ?? '', organizationId: clinic });
  const brokerConsent = await server.fhirkeep.consents.grant({ kind: 'broker', organizationId: clinic, clientId: broker.id });
  const brokerToken = await clientToken(broker);
  assert.deepEqual(await found('Observation', brokerToken), obs('bobPublic'), 'acting for no organization: the public pool, none of the clinic’s holders');
  assert.deepEqual(await found('Practitioner', brokerToken), ['Practitioner/dr1'], 'and directory data');
  assert.equal((await get('Patient/pB', brokerToken)).status, 404);
  const { access_token: drToken } = await signIn(server.baseUrl, chartApp, { email: 'dr@example.org', password: PASSWORD }, 'openid user/*.cruds');
  assert.deepEqual(await found('Observation', drToken), obs('bobWeight'), 'the clinic’s practitioner sees what is shared with the clinic');
  assert.equal((await get('Patient/pB', drToken)).status, 200);
  assert.equal((await get('Patient/pA', drToken)).status, 404, 'Alice shares nothing with the clinic');
  assert.deepEqual(
    (await found('Patient/pB/$everything', drToken)).filter((k) => k.startsWith('Observation/')),
    obs('bobWeight'),
    '$everything holds what the scope lets through: no public record without a filter saying so',
  );
  assert.equal((await get('Patient/pA/$everything', drToken)).status, 404);

  await server.fhirkeep.consents.revoke(brokerConsent.id);
  assert.deepEqual(await found('Observation', drToken), obs('bobWeight'), 'its members still see the share when the clinic withdraws its consent to the broker');
  await server.fhirkeep.consents.revoke(share.id);
  assert.deepEqual(await found('Observation', drToken), [], 'Bob withdrew his share');
});
