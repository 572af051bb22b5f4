import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNode, type TestNode } from './support/fhirkeep-server.js';
import { httpClient, type HttpClient } from './support/http.js';
import { institutionToken } from './support/institution.js';
import { replicationBinaries, startStreamingReplica, type StreamingReplica } from './support/streaming-replica.js';

const binaries = replicationBinaries();
const MAX_LAG_MS = 3000;

/**
 * Searches on a real streaming replica (docs/replicas.md): a standby made with pg_basebackup
 * from a primary, both run with the system's PostgreSQL binaries. Pausing the standby's WAL
 * replay makes visible which server answered: a row written meanwhile is on the primary only.
 */
describe('read replica', { skip: binaries === undefined ? 'no system PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup): install postgresql-15' : false }, () => {
  let replica: StreamingReplica | undefined;
  let node: TestNode | undefined;
  let writer: HttpClient;
  let reader: HttpClient;
  let probe: HttpClient;
  /** A service an account holder subscribed to: what it reads depends on that consent. */
  let service: HttpClient;
  let subscription = '';

  before(async () => {
    replica = await startStreamingReplica(binaries as NonNullable<typeof binaries>);
    node = await startNode(replica.primaryUrl, { FHIRKEEP_DATABASE_REPLICA_URL: replica.replicaUrl, FHIRKEEP_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS) });
    // Two institutions' systems (reach all): access decided by the row alone, so their searches may use the replica.
    writer = authorized(`${node.baseUrl}/fhir`, await institutionToken(node.fhirkeep));
    reader = authorized(`${node.baseUrl}/fhir`, await institutionToken(node.fhirkeep));
    probe = httpClient(node.baseUrl);
    const { auth, consents } = node.fhirkeep;
    const feed = (await auth.clients.register({ type: 'service', name: 'feed' })).client.id;
    service = authorized(`${node.baseUrl}/fhir`, (await auth.accessTokens.issue({ sub: feed, client_id: feed, scope: 'system/*.rs', gid: randomUUID() })).token);
    const holder = await auth.accounts.create({ email: 'holder@example.org', password: 'correct horse battery', roles: ['patient'], patientId: 'holder' });
    assert.equal((await writer('PUT', '/Patient/holder', { body: { resourceType: 'Patient', id: 'holder' } })).status, 201);
    const weight = { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: 'Patient/holder' } };
    assert.equal((await writer('POST', '/Observation', { body: weight })).status, 201);
    subscription = (await consents.grant({ accountId: holder.id, clientId: feed })).id;
    await replicaState('streaming');
  });
  after(async () => {
    try {
      await node?.close();
    } finally {
      await replica?.remove();
    }
  });

  const standby = () => (replica as StreamingReplica).standby;
  const family = randomUUID();
  let id = '';

  /** Waits until /readyz (always ready: the primary serves) reports the replica in `state`. */
  async function replicaState(state: 'streaming' | 'lagging' | 'down'): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await probe('GET', '/readyz');
      assert.equal(res.status, 200, 'the node stays ready whatever the replica does');
      if (res.json.replica?.state === state) return;
      if (Date.now() > deadline) throw new Error(`the replica is ${JSON.stringify(res.json.replica)}, not ${state}`);
      await sleep(50);
    }
  }

  async function pauseReplay(): Promise<void> {
    await standby()`select pg_wal_replay_pause()`;
    for (;;) {
      const [row] = await standby()<{ state: string }[]>`select pg_get_wal_replay_pause_state() as state`;
      if (row?.state === 'paused') return;
      await sleep(20);
    }
  }

  async function found(client: HttpClient): Promise<number> {
    const res = await client('GET', `/Patient?family=${family}`);
    assert.equal(res.status, 200, res.text);
    return res.json.total as number;
  }

  test('a consent withdrawn while the replica is behind holds on the very next search: consent-bound searches stay on the primary', async () => {
    assert.equal((await service('GET', '/Observation?subject=Patient/holder')).json.total, 1, 'the subscription shares the holder’s record');
    // The standby holds the subscription as active; then it stops replaying.
    for (;;) {
      const [row] = await standby()<{ status: string }[]>`select status from consents where id = ${subscription}`;
      if (row?.status === 'active') break;
      await sleep(20);
    }
    await pauseReplay();
    await (node as TestNode).fhirkeep.consents.revoke(subscription);
    const res = await service('GET', '/Observation?subject=Patient/holder');
    assert.equal(res.status, 200);
    assert.equal(res.json.total, 0, 'the revocation holds although the replica still has the consent active');
  });

  test('with replay paused, a write is searchable at once for its writer (read-your-writes) but not for others (the replica answers them)', async () => {
    const created = await writer('POST', '/Patient', { body: { resourceType: 'Patient', name: [{ family }] } });
    assert.equal(created.status, 201, created.text);
    id = created.json.id as string;
    assert.equal(await found(writer), 1, 'the writer finds its own write');
    assert.equal(await found(reader), 0, 'another client is answered by the replica, which has not replayed the write');
    const read = await reader('GET', `/Patient/${id}`);
    assert.equal(read.status, 200, 'a read by id is answered by the primary');
    const history = await reader('GET', '/Patient/_history');
    assert.ok((history.json.entry as { resource?: { id: string } }[]).some((e) => e.resource?.id === id), 'history is answered by the primary');
  });

  test('a replica further behind than FHIRKEEP_REPLICA_MAX_LAG_MS answers no searches: the primary does', async () => {
    await replicaState('lagging');
    assert.equal(await found(reader), 1);
  });

  test('once replay resumes, the replica catches up and everyone finds the write', async () => {
    await standby()`select pg_wal_replay_resume()`;
    await replicaState('streaming');
    assert.equal(await found(reader), 1);
    const [row] = await standby()<{ n: number }[]>`select count(*)::int as n from resources where type = 'Patient' and id = ${id}`;
    assert.equal(row?.n, 1, 'the standby holds the write now');
  });

  test('with the replica stopped, searches are answered by the primary, never a 5xx', async () => {
    await (replica as StreamingReplica).stopStandby();
    // At once (the replica's pool still holds connections to the stopped server), and once the node knows.
    assert.equal(await found(reader), 1);
    await replicaState('down');
    assert.equal(await found(reader), 1);
    assert.equal(await found(writer), 1);
  });
});

function authorized(base: string, token: string): HttpClient {
  const send = httpClient(base);
  return (method, path, options = {}) => send(method, path, { ...options, headers: { authorization: `Bearer ${token}`, ...options.headers } });
}
