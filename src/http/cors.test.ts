import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { registerCors } from './cors.js';
import { createHttpApp } from './fastify-app.js';

/** CORS preflights on the FHIR API, and OPTIONS requests that are none (found by test/fuzz/fhir-requests.test.ts). */
let app: FastifyInstance;
let base: string;
before(async () => {
  app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1000 });
  registerCors(app);
  app.get('/fhir/Patient', async () => 'ok');
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => app.close());

test('a preflight is answered with the CORS headers', async () => {
  const res = await fetch(`${base}/fhir/Patient`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

test('an OPTIONS request without Origin or Access-Control-Request-Method is refused with an OperationOutcome', async () => {
  for (const headers of [{}, { origin: 'https://app.example' }, { 'access-control-request-method': 'GET' }] as Record<string, string>[]) {
    const res = await fetch(`${base}/fhir/Patient`, { method: 'OPTIONS', headers });
    assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(headers)}: ${res.status}`);
    assert.equal(((await res.json()) as { resourceType: string }).resourceType, 'OperationOutcome', JSON.stringify(headers));
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  }
});
