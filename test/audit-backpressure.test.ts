import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { freePort } from '../src/storage/cluster/free-port.js';
import { startNode, startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { httpClient } from './support/http.js';
import { institutionToken } from './support/institution.js';
import { lockTable } from './support/table-lock.js';

/**
 * The audit queue against a stalled database (docs/audit.md): with room for two rows and the
 * audit table locked, the third audited request is not answered until the trail can be written
 * again (back-pressure), and nothing is lost. A node shutting down writes what it still holds.
 */
let server: TestServer;
let auth: Record<string, string>;

before(async () => {
  server = await startTestServer({ FHIRKEEP_AUDIT_QUEUE_SIZE: '2', FHIRKEEP_AUDIT_FLUSH_MS: '10' });
  auth = { authorization: `Bearer ${await institutionToken(server.fhirkeep)}` };
  assert.equal((await httpClient(server.fhirBase)('PUT', '/Patient/p1', { body: { resourceType: 'Patient', id: 'p1' }, headers: auth })).status, 201);
  await server.fhirkeep.audit.flush();
});
after(() => server.close());

test('a full queue holds the next request until the stalled database takes the trail again', async () => {
  const fhir = httpClient(server.fhirBase);
  const lock = await lockTable(server.fhirkeep.database.sql, 'audit_events');
  try {
    const rowsBefore = server.fhirkeep.audit.stats().written;
    const read = () => fhir('GET', '/Patient/p1', { headers: auth });
    // Two rows fill the queue; their batch waits on the lock, still counted in the depth.
    assert.equal((await read()).status, 200);
    assert.equal((await read()).status, 200);
    let answered = false;
    const third = read().then((res) => {
      answered = true;
      return res;
    });
    await sleep(300);
    assert.equal(answered, false, 'the third read waits for room in the audit queue');
    const stalled = server.fhirkeep.audit.stats();
    assert.deepEqual([stalled.depth, stalled.capacity, stalled.written - rowsBefore, stalled.overflowed], [3, 2, 0, 0]);
    assert.ok(stalled.waited >= 1);
    await lock.release();
    assert.equal((await third).status, 200);
    await server.fhirkeep.audit.flush();
    const after = server.fhirkeep.audit.stats();
    assert.deepEqual([after.written - rowsBefore, after.failedBatches, after.depth], [3, 0, 0], 'every row written, none dropped, no insert failed: it waited');
  } finally {
    await lock.release();
  }
});

test('a node that shuts down writes the audit rows it still holds', async () => {
  // The first node's base URL: the token's audience.
  const port = await freePort();
  const node = await startNode(server.databaseUrl, { FHIRKEEP_PORT: String(port), FHIRKEEP_AUDIT_FLUSH_MS: '60000', FHIRKEEP_BASE_URL: server.baseUrl });
  try {
    const res = await httpClient(`http://127.0.0.1:${port}/fhir`)('GET', '/Patient/p1', { headers: { ...auth, 'x-request-id': 'before-shutdown' } });
    assert.equal(res.status, 200);
    assert.equal(node.fhirkeep.audit.stats().depth, 1, 'queued, a minute from its flush');
  } finally {
    await node.close();
  }
  const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ subtype: string; patient_ids: string[] }[]>`select subtype, patient_ids from audit_events where request_id = 'before-shutdown'`;
    assert.deepEqual(rows.map((r) => [r.subtype, r.patient_ids]), [['read', ['p1']]]);
  } finally {
    await sql.end();
  }
});
