import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { nextLinkPath, runPaging, summarizeWalks, walkPages } from './paging.js';

test('the next link becomes a path on the bench’s own origin, whatever base URL the server writes', () => {
  const page = (link: unknown): string => JSON.stringify({ resourceType: 'Bundle', type: 'searchset', link });
  assert.equal(
    nextLinkPath(page([{ relation: 'self', url: 'http://localhost:8080/fhir/Observation?code=x' }, { relation: 'next', url: 'http://localhost:8080/fhir/Observation?code=x&_cursor=a%2Fb' }])),
    '/fhir/Observation?code=x&_cursor=a%2Fb',
  );
  assert.equal(nextLinkPath(page([{ relation: 'next', url: 'Observation?_page=2' }])), '/Observation?_page=2');
  assert.equal(nextLinkPath(page([{ relation: 'self', url: 'http://x/fhir/Observation' }])), undefined);
  assert.equal(nextLinkPath(page(undefined)), undefined);
});

// Pages 1…last of a search; links name another host, as FHIRKEEP_BASE_URL would.
const app = Fastify({ logger: false });
app.get('/fhir/Observation', async (req, reply) => {
  const { code, page = '1', last } = req.query as { code: string; page?: string; last: string };
  if (code === 'broken' && page === '3') return reply.status(500).send('{"resourceType":"OperationOutcome"}');
  const n = Number(page);
  const link = [{ relation: 'self', url: `http://public.example/fhir/Observation?code=${code}&page=${n}&last=${last}` }];
  if (n < Number(last)) link.push({ relation: 'next', url: `http://public.example/fhir/Observation?code=${code}&page=${n + 1}&last=${last}` });
  return reply.send({ resourceType: 'Bundle', type: 'searchset', link, entry: [{}] });
});
let origin = '';
before(async () => {
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => app.close());

test('a walk follows next links up to the page asked for, and says why it stopped early', async () => {
  const full = await walkPages(origin, '/fhir/Observation?code=a&last=100', 50);
  assert.equal(full.ms.length, 50);
  assert.equal(full.stopped, undefined);
  const short = await walkPages(origin, '/fhir/Observation?code=a&last=7', 50);
  assert.equal(short.ms.length, 7);
  assert.equal(short.stopped, 'no next link after page 7');
  const broken = await walkPages(origin, '/fhir/Observation?code=broken&last=100', 50);
  assert.equal(broken.ms.length, 2);
  assert.match(broken.stopped ?? '', /^500 \{"resourceType":"OperationOutcome"\}/);
});

test('paging compares the last page with page 1 over the walks that reached it', async () => {
  const r = await runPaging(origin, ['/fhir/Observation?code=a&last=60', '/fhir/Observation?code=b&last=3'], 4, 10);
  assert.equal(r.walks, 4);
  assert.deepEqual(r.failures, ['no next link after page 3', 'no next link after page 3']);
  assert.ok(r.firstPage.p50 > 0 && r.lastPage.p50 > 0);

  const summary = summarizeWalks(['q'], [{ ms: [2, 9, 3] }, { ms: [4, 9, 5] }, { ms: [1], stopped: 'no next link after page 1' }], 3);
  assert.deepEqual(summary.firstPage, { p50: 2, p90: 4, p99: 4 });
  assert.deepEqual(summary.lastPage, { p50: 3, p90: 5, p99: 5 });
  assert.equal(summary.ratio, 1.5);
  assert.deepEqual(summary.failures, ['no next link after page 1']);
});
