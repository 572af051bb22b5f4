import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { measure } from './load.js';

const app = Fastify({ logger: false });
app.get('/ok/:n', async (req, reply) => reply.header('location', `/Thing/${(req.params as { n: string }).n}/_history/1`).send('{}'));
// Echoes what arrived, so a test can see which headers a request carried.
app.post('/echo', async (req, reply) =>
  reply.header('x-seen', `${req.headers.authorization ?? '-'} ${req.headers['content-type'] ?? '-'} ${req.headers.accept ?? '-'}`).send('{}'),
);
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.get('/missing', async (_req, reply) => reply.status(404).send('{"resourceType":"OperationOutcome"}'));
let url = '';
before(async () => {
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => app.close());

test('non-2xx responses are errors, counted by status and sampled; only 2xx count as ops', async () => {
  let i = 0;
  const r = await measure(
    { url, connections: 2, next: () => (i++ % 4 === 0 ? { method: 'GET', path: '/missing' } : { method: 'GET', path: `/ok/${i}` }) },
    0,
    1,
    { node: process.pid, database: () => [] },
  );
  assert.ok(r.ok > 0);
  assert.equal(r.errors, r.statuses['404']);
  assert.ok(r.errors > 0);
  assert.equal(r.ok, r.statuses['200']);
  assert.match(r.errorSamples[0] ?? '', /^404 \{"resourceType":"OperationOutcome"\}/);
  assert.ok(Math.abs(r.opsPerSec - r.ok / r.seconds) < 1e-9);
  assert.ok(r.p50 > 0 && r.p50 <= r.p99);
  // Sub-millisecond resolution: autocannon's own histogram would give whole milliseconds.
  assert.notEqual(r.p50, Math.round(r.p50));
});

test('each response comes back with its request tag and headers', async () => {
  let sent = 0;
  const seen: string[] = [];
  await measure(
    {
      url,
      connections: 1,
      next: () => {
        sent++;
        return { method: 'GET', path: `/ok/${sent}`, tag: sent };
      },
      onResponse: (status, headers, tag) => seen.push(`${status} ${headers.location ?? ''} ${String(tag)}`),
    },
    0,
    1,
    { node: process.pid, database: () => [] },
  );
  assert.ok(seen.length > 10);
  for (const s of seen.slice(0, 10)) {
    const [, path, tag] = s.split(' ');
    assert.equal(path, `/Thing/${tag}/_history/1`);
  }
});

test('a refused connection is an error, not an op', async () => {
  const closed = Fastify({ logger: false });
  const address = await closed.listen({ host: '127.0.0.1', port: 0 });
  await closed.close();
  const r = await measure({ url: address, connections: 1, next: () => ({ method: 'GET', path: '/' }) }, 0, 1, {
    node: process.pid,
    database: () => [],
  });
  assert.equal(r.ok, 0);
  assert.ok(r.errors > 0);
  assert.ok(Number.isNaN(r.nodeCpuUs));
});

test("a request's own headers are sent, over the defaults", async () => {
  const seen = new Set<string>();
  await measure(
    {
      url,
      connections: 1,
      next: () => ({
        method: 'POST',
        path: '/echo',
        body: 'grant_type=client_credentials',
        headers: { authorization: 'Basic YTpi', 'content-type': 'application/x-www-form-urlencoded' },
      }),
      onResponse: (_status, headers) => seen.add(headers['x-seen'] ?? ''),
    },
    0,
    1,
    { node: process.pid, database: () => [] },
  );
  assert.deepEqual([...seen], ['Basic YTpi application/x-www-form-urlencoded application/fhir+json']);
});
