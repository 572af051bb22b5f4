import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startNode, startTestServer, type TestNode, type TestServer } from './support/fhirkeep-server.js';

/**
 * Two nodes of one deployment count the same application's requests, each in its own memory,
 * and flush into the same rows: the statistics are the sum, whichever node answers the API.
 */
let server: TestServer;
let second: TestNode | undefined;
let client: { id: string; secret: string };
let cookie: string;

before(async () => {
  server = await startTestServer();
  second = await startNode(server.databaseUrl);
  const { accounts, clients, sessions } = server.fhirkeep.auth;
  const admin = await accounts.create({ email: 'nodes-admin@example.org', password: 'a long test password', roles: ['admin'] });
  cookie = (await sessions.start(admin.id, undefined)).split(';')[0] ?? '';
  const made = await clients.register({ type: 'service', name: 'Busy service', scopes: ['system/*.rs'] });
  client = { id: made.client.id, secret: made.secret ?? '' };
});
after(async () => {
  await second?.close();
  await server.close();
});

async function token(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function statistics(baseUrl: string) {
  const res = await fetch(`${baseUrl}/api/clients/${client.id}/statistics?days=1`, { headers: { cookie } });
  assert.equal(res.status, 200);
  return (await res.json()) as { days: { requests: number; errors: number; statuses: Record<string, number> }[]; latest_errors: { path: string }[] };
}

test("both nodes' counts add up, flushed concurrently into the same rows", async () => {
  const node2 = second;
  assert.ok(node2);
  // Each node's own token: a test node's base URL (a token's audience) is its own port.
  const bearers = new Map([
    [server.baseUrl, await token(server.baseUrl)],
    [node2.baseUrl, await token(node2.baseUrl)],
  ]);
  const get = (base: string, path: string) => fetch(`${base}/fhir${path}`, { headers: { authorization: `Bearer ${bearers.get(base) ?? ''}` } }).then((r) => r.status);
  // Node one: 20 requests, 5 of them 404s; node two: 30 requests, 3 of them 404s.
  const one = await Promise.all(Array.from({ length: 20 }, (_, i) => get(server.baseUrl, i < 5 ? `/Nope${i}` : '/Patient')));
  const two = await Promise.all(Array.from({ length: 30 }, (_, i) => get(node2.baseUrl, i < 3 ? `/Other${i}` : '/Patient')));
  assert.equal(one.filter((s) => s === 404).length + two.filter((s) => s === 404).length, 8, JSON.stringify([one, two]));
  // Both at once: each flush adds its own counts, neither overwrites the other's.
  await Promise.all([server.fhirkeep.statistics.flush(), node2.fhirkeep.statistics.flush()]);
  const [fromOne, fromTwo] = await Promise.all([statistics(server.baseUrl), statistics(node2.baseUrl)]);
  for (const s of [fromOne, fromTwo]) {
    assert.deepEqual([s.days[0]?.requests, s.days[0]?.errors, s.days[0]?.statuses], [50, 8, { 404: 8 }]);
    assert.deepEqual(s.latest_errors.map((e) => e.path).sort(), ['/fhir/Nope0', '/fhir/Nope1', '/fhir/Nope2', '/fhir/Nope3', '/fhir/Nope4', '/fhir/Other0', '/fhir/Other1', '/fhir/Other2']);
  }
});

test('a node flushes what it counted when it closes', async () => {
  const node2 = second;
  assert.ok(node2);
  const bearer = await token(node2.baseUrl);
  const before = (await statistics(server.baseUrl)).days[0]?.requests ?? 0;
  for (let i = 0; i < 4; i++) assert.equal((await fetch(`${node2.baseUrl}/fhir/Patient`, { headers: { authorization: `Bearer ${bearer}` } })).status, 200);
  await node2.close();
  second = undefined;
  assert.equal((await statistics(server.baseUrl)).days[0]?.requests, before + 4);
});
