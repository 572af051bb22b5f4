import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createHttpApp } from './fastify-app.js';
import { registerDraining } from './draining.js';
import { registerHealthRoutes } from './health-routes.js';

/** An app with the draining hook, the health routes and two stand-in routes: a FHIR one and an OAuth one. */
function app() {
  const http = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 });
  const drain = registerDraining(http);
  registerHealthRoutes(http, { ping: async () => {}, draining: drain.draining, replica: () => undefined });
  http.get('/fhir/Patient', async () => ({ resourceType: 'Bundle' }));
  http.post('/oauth2/token', async () => ({ access_token: 'x' }));
  return { http, drain };
}

test('before the shutdown every route answers as usual', async () => {
  const { http } = app();
  for (const url of ['/healthz', '/readyz', '/fhir/Patient']) assert.equal((await http.inject({ url })).statusCode, 200, url);
});

test('once draining: /readyz 503, FHIR an OperationOutcome, OAuth an OAuth error, each closing the connection; /healthz 200', async () => {
  const { http, drain } = app();
  drain.start();
  const ready = await http.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.deepEqual(ready.json(), { status: 'unavailable', reason: 'shutting down' });
  assert.equal((await http.inject({ url: '/healthz' })).statusCode, 200, 'the process is alive');

  const fhir = await http.inject({ url: '/fhir/Patient?name=x' });
  assert.equal(fhir.statusCode, 503);
  assert.match(fhir.headers['content-type'] as string, /^application\/fhir\+json/);
  assert.equal(fhir.json().resourceType, 'OperationOutcome');
  assert.equal(fhir.json().issue[0].code, 'transient');
  assert.equal(fhir.headers.connection, 'close');
  assert.equal(fhir.headers['retry-after'], '5');

  const token = await http.inject({ method: 'POST', url: '/oauth2/token', payload: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(token.statusCode, 503);
  assert.equal(token.json().error, 'temporarily_unavailable');
  assert.equal(token.headers['cache-control'], 'no-store');

  const missing = await http.inject({ url: '/nowhere' });
  assert.equal(missing.statusCode, 503, 'refused before routing decides anything');
});
