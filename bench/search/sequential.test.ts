import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { entryCount, latencySummary, runSequential } from './sequential.js';

test('percentiles are nearest-rank over the sorted latencies', () => {
  const ms = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
  assert.deepEqual(latencySummary(ms), { p50: 50, p90: 90, p99: 99 });
  assert.deepEqual(latencySummary([3, 1, 2]), { p50: 2, p90: 3, p99: 3 });
  assert.deepEqual(latencySummary([7]), { p50: 7, p90: 7, p99: 7 });
  const none = latencySummary([]);
  assert.ok(Number.isNaN(none.p50) && Number.isNaN(none.p99));
});

test('entries of a searchset page', () => {
  assert.equal(entryCount('{"resourceType":"Bundle","entry":[{},{}]}'), 2);
  assert.equal(entryCount('{"resourceType":"Bundle","type":"searchset"}'), 0);
});

const app = Fastify({ logger: false });
let inFlight = 0;
let mostInFlight = 0;
app.get('/fhir/Thing', async (req, reply) => {
  inFlight++;
  mostInFlight = Math.max(mostInFlight, inFlight);
  await new Promise((resolve) => setTimeout(resolve, 2));
  inFlight--;
  const { n } = req.query as { n: string };
  if (n === 'bad') return reply.status(501).send('{"resourceType":"OperationOutcome"}');
  return reply.send({ resourceType: 'Bundle', type: 'searchset', entry: Array.from({ length: Number(n) }, () => ({})) });
});
let origin = '';
before(async () => {
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => app.close());

test('one request at a time, up to the request budget; hits and errors counted; warm-up not reported', async () => {
  let sent = 0;
  const r = await runSequential(
    origin,
    () => `/fhir/Thing?n=${sent++ % 5 === 4 ? 'bad' : '3'}`,
    { requests: 5, seconds: 10 },
    { requests: 40, seconds: 10 },
  );
  assert.equal(sent, 45);
  assert.equal(mostInFlight, 1);
  assert.equal(r.ok, 32);
  assert.equal(r.errors, 8);
  assert.deepEqual(r.statuses, { 200: 32, 501: 8 });
  assert.match(r.errorSamples[0] ?? '', /^501 \{"resourceType":"OperationOutcome"\}/);
  assert.equal(r.meanHits, 3);
  assert.ok(r.p50 >= 2 && r.p50 <= r.p90 && r.p90 <= r.p99);
  assert.ok(Math.abs(r.opsPerSec - r.ok / r.seconds) < 1e-9);
});

test('the time budget ends a run that would take too long', async () => {
  const r = await runSequential(origin, () => '/fhir/Thing?n=1', { requests: 0, seconds: 0 }, { requests: 1_000_000, seconds: 0.2 });
  assert.ok(r.ok > 5 && r.ok < 200, `${r.ok} requests`);
  assert.ok(r.seconds < 1);
});
