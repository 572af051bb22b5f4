import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { freePort } from '../src/storage/cluster/free-port.js';
import { startNode, startTestServer, type TestNode, type TestServer } from './support/fhirkeep-server.js';
import { httpClient } from './support/http.js';
import { institutionToken } from './support/institution.js';

/**
 * Two nodes of one deployment on one database (docs/limits.md): with the postgres store they
 * share each bucket; with the memory store each node counts on its own.
 */
const started: (TestServer | TestNode)[] = [];
after(async () => {
  for (const s of started.reverse()) await s.close();
});

async function deployment(settings: Record<string, string>): Promise<{ server: TestServer; nodes: string[] }> {
  const server = await startTestServer(settings);
  started.push(server);
  // Behind one load balancer both nodes have the same public URL, so a token is good on either.
  const port = await freePort();
  const second = await startNode(server.databaseUrl, { ...settings, FHIRKEEP_PORT: String(port), FHIRKEEP_BASE_URL: server.baseUrl });
  started.push(second);
  return { server, nodes: [server.fhirBase, `http://localhost:${port}/fhir`] };
}

async function passedOf(nodes: readonly string[], token: string, requests: number): Promise<{ passed: number; retryAfter: Set<string | null> }> {
  let passed = 0;
  const retryAfter = new Set<string | null>();
  for (let i = 0; i < requests; i++) {
    const res = await httpClient(nodes[i % nodes.length] ?? '')('GET', '/Patient', { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) passed++;
    else {
      assert.equal(res.status, 429, res.text);
      assert.equal(res.json.issue[0].code, 'throttled');
      retryAfter.add(res.headers.get('retry-after'));
    }
  }
  return { passed, retryAfter };
}

test('postgres store: a client spread over two nodes gets one limit between them; another client keeps its own', async () => {
  // Two a minute: a token refills every 30 s, far longer than the test takes, so what passes is exact.
  const { server, nodes } = await deployment({ FHIRKEEP_RATE_LIMIT_STORE: 'postgres', FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT: '2' });
  const [busy, quiet] = [await institutionToken(server.fhirkeep), await institutionToken(server.fhirkeep)];
  const { passed, retryAfter } = await passedOf(nodes, busy, 8);
  assert.equal(passed, 2, 'two a minute across both nodes, not two each');
  for (const seconds of retryAfter) assert.ok(Number(seconds) >= 1 && Number(seconds) <= 30, `Retry-After ${seconds}`);
  assert.equal((await passedOf(nodes, quiet, 2)).passed, 2);
});

test('postgres store: a busy client is counted in leases, not a round trip per request', async () => {
  const { server, nodes } = await deployment({ FHIRKEEP_RATE_LIMIT_STORE: 'postgres', FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT: '60000' });
  const token = await institutionToken(server.fhirkeep);
  assert.equal((await passedOf(nodes.slice(0, 1), token, 300)).passed, 300);
  const [row] = await server.fhirkeep.database.sql<{ granted: number }[]>`select granted from rate_limit_buckets where key like 'fhir-client:%'`;
  assert.equal(row?.granted, 250, 'leases of a quarter second of the rate (1,000/s)');
});

test('memory store: each node counts on its own, so two nodes let twice the limit through', async () => {
  const { server, nodes } = await deployment({ FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT: '2' });
  const token = await institutionToken(server.fhirkeep);
  assert.equal((await passedOf(nodes, token, 8)).passed, 4);
});
