import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { exportRowName, LineCounter, lineMismatches, parseManifest, retryAfterMs, runExport } from './export-workload.js';
import type { Server } from './process.js';

test('a manifest is parsed with its counts; one without what the bench needs is refused, saying what', () => {
  const m = parseManifest(
    JSON.stringify({
      transactionTime: '2024-01-01T00:00:00Z',
      request: 'http://x/fhir/$export',
      requiresAccessToken: true,
      output: [{ type: 'Patient', url: 'http://x/f/1', count: 2 }],
      error: [],
    }),
  );
  assert.deepEqual(m.output, [{ type: 'Patient', url: 'http://x/f/1', count: 2 }]);
  assert.deepEqual(m.error, []);
  assert.throws(() => parseManifest('{"request":"r","requiresAccessToken":true,"output":[]}'), /no transactionTime/);
  assert.throws(() => parseManifest('{"transactionTime":"t","request":"r","requiresAccessToken":true,"output":[{"type":"Patient","url":"u"}]}'), /output entry without a count/);
  assert.throws(() => parseManifest('{"transactionTime":"t","request":"r","requiresAccessToken":true,"output":{}}'), /output is not an array/);
});

test('Retry-After: seconds or an HTTP-date; absent or unreadable, the fallback', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  assert.equal(retryAfterMs('3', now), 3000);
  assert.equal(retryAfterMs(' 0 ', now), 0);
  assert.equal(retryAfterMs('Mon, 01 Jan 2024 00:00:05 GMT', now), 5000);
  assert.equal(retryAfterMs('Sun, 31 Dec 2023 23:59:00 GMT', now), 0, 'a date past is now');
  assert.equal(retryAfterMs(null, now), 1000);
  assert.equal(retryAfterMs('soon', now, 2), 2000);
});

test('lines are counted across chunks, an unterminated last line too', () => {
  const enc = new TextEncoder();
  const c = new LineCounter();
  for (const part of ['{"a":1}\n{"a"', ':2}\n', '', '{"a":3}']) c.push(enc.encode(part));
  assert.deepEqual([c.lines, c.total, c.bytes], [2, 3, 23]);
  const empty = new LineCounter();
  assert.equal(empty.total, 0);
  const terminated = new LineCounter();
  terminated.push(enc.encode('x\n'));
  assert.equal(terminated.total, 1);
});

test('line mismatches name each file that differs or was not downloaded', () => {
  const output = [
    { type: 'Patient', url: 'a', count: 2 },
    { type: 'Patient', url: 'b', count: 3 },
    { type: 'Observation', url: 'c', count: 1 },
  ];
  assert.deepEqual(lineMismatches(output, new Map([['a', 2], ['b', 4]])), ['b: 4 lines, the manifest says 3', 'c: not downloaded']);
});

// A bulk-data server as the IG describes it, as small as the client needs: one job, two polls.
const app = Fastify({ logger: false });
const seen: string[] = [];
let files: Record<string, { count: number; body: string }> = {};
let polls = 0;
let base = '';
app.get('/fhir/$export', async (req, reply) => {
  seen.push(`kick-off ${req.headers.authorization ?? '-'} ${req.headers.prefer ?? '-'}`);
  if (req.headers.authorization === 'Bearer slow') return reply.status(202).header('content-location', `${base}/fhir/bulk-status/slow`).send();
  if (req.headers.authorization !== 'Bearer good') return reply.status(401).send({ resourceType: 'OperationOutcome' });
  polls = 0;
  return reply.status(202).header('content-location', `${base}/fhir/bulk-status/j1`).send();
});
app.get('/fhir/bulk-status/j1', async (_req, reply) => {
  if (polls++ === 0) return reply.status(202).header('retry-after', '0').header('x-progress', 'exporting').send({});
  return {
    transactionTime: '2024-01-01T00:00:00Z',
    request: `${base}/fhir/$export`,
    requiresAccessToken: true,
    output: Object.entries(files).map(([name, f]) => ({ type: name.split('-')[0], url: `${base}/files/${name}`, count: f.count })),
    error: [],
  };
});
app.get('/files/:name', async (req, reply) => {
  const f = files[(req.params as { name: string }).name];
  return f === undefined ? reply.status(404).send() : reply.type('application/fhir+ndjson').send(f.body);
});
app.get('/fhir/bulk-status/slow', async (_req, reply) => reply.status(202).header('retry-after', '0').header('x-progress', 'exporting').send({}));
app.delete('/fhir/bulk-status/:id', async (_req, reply) => reply.status(202).send({}));
before(async () => {
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => app.close());

const server = (): Server => ({ name: 'fake', pid: process.pid, url: base, readyMs: 0, assertRunning: () => {}, stop: async () => {} });
const cpu = { node: process.pid, database: () => [] };

test('an export: kick-off, polls at Retry-After, the manifest counts as the ops, files downloaded and their lines checked, then deleted', async () => {
  files = {
    'Patient-1.ndjson': { count: 2, body: '{"resourceType":"Patient","id":"a"}\n{"resourceType":"Patient","id":"b"}\n' },
    'Observation-1.ndjson': { count: 1, body: '{"resourceType":"Observation","id":"c"}\n' },
  };
  const r = await runExport(server(), 'good', cpu);
  assert.equal(r.row.name, exportRowName(3));
  assert.equal(r.row.unit, 'res/s');
  assert.deepEqual([r.row.ok, r.row.errors, r.resources, r.files, r.types, r.polls, r.early, r.deleteStatus], [3, 0, 3, 2, 2, 1, 0, 202]);
  assert.equal(r.bytes, 112);
  assert.ok(Math.abs(r.row.opsPerSec - 3 / r.row.seconds) < 1e-9);
  assert.ok(Math.abs(r.mbPerSec - 112 / 1e6 / r.row.seconds) < 1e-12);
  assert.ok(Number.isNaN(r.row.p50), 'one run: no latency distribution');
  assert.ok(r.rss.peakMb >= r.rss.beforeMb && r.rss.samples >= 2);
  assert.deepEqual(r.mismatches, []);
  assert.equal(seen.at(-1), 'kick-off Bearer good respond-async');
});

test("a file whose lines are not the manifest's count is an error of the row, and says which", async () => {
  files = { 'Patient-1.ndjson': { count: 3, body: '{"resourceType":"Patient","id":"a"}\n' } };
  const r = await runExport(server(), 'good', cpu);
  assert.equal(r.row.errors, 1);
  assert.match(r.row.errorSamples[0] ?? '', /line check: .*Patient-1\.ndjson: 1 lines, the manifest says 3/);
});

test('an export that never finishes is an error once the time is up, and is still deleted', async () => {
  files = {};
  const r = await runExport(server(), 'slow', cpu, exportRowName, 50);
  assert.equal(r.row.ok, 0);
  assert.equal(r.row.errors, 1);
  assert.match(r.row.errorSamples[0] ?? '', /^no manifest within 0\.05 s; the last status said exporting/);
  assert.equal(r.deleteStatus, 202);
});

test('a refused kick-off is an error with its response, not an exception', async () => {
  const r = await runExport(server(), 'bad', cpu);
  assert.equal(r.row.ok, 0);
  assert.equal(r.row.errors, 1);
  assert.deepEqual(r.row.statuses, { 401: 1 });
  assert.match(r.row.errorSamples[0] ?? '', /^401 /);
  assert.equal(r.deleteStatus, 0);
});
