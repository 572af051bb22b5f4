import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createHttpApp } from './fastify-app.js';

/** What Node's HTTP parser refuses still gets an OperationOutcome (found by test/fuzz/fhir-bodies.test.ts). */
let app: FastifyInstance;
let base: string;
before(async () => {
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1000 });
  app.get('/x', async () => 'ok');
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => app.close());

test('a URL over the header size limit is a 431 OperationOutcome', async () => {
  const res = await fetch(`${base}/x?q=${'x'.repeat(70_000)}`);
  assert.equal(res.status, 431);
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  const outcome = (await res.json()) as { resourceType: string; issue: { code: string }[] };
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.equal(outcome.issue[0]?.code, 'too-long');
});

test('a malformed request line is a 400 OperationOutcome', async () => {
  const { port } = new URL(base);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET / HTTP/9\u0000\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { resourceType: string; issue: { code: string }[] };
  assert.deepEqual([body.resourceType, body.issue[0]?.code], ['OperationOutcome', 'invalid']);
});
