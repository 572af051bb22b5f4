import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parseSamples, sampleValue } from '../../test/support/prometheus.js';
import { httpMetrics } from '../observability/http-metrics.js';
import { createHttpApp } from './fastify-app.js';
import { registerMetricsHooks, routeClass } from './metrics-hooks.js';

/** An app with the routes' shapes (the FHIR catch-alls, a pattern with a parameter) and the metrics hook. */
function appWithMetrics() {
  const app = createHttpApp({ logger: pino({ level: 'silent' }), bodyLimit: 1024 });
  const metrics = httpMetrics(new Registry());
  registerMetricsHooks(app, metrics);
  const seen: { request: FastifyRequest; reply: FastifyReply }[] = [];
  app.addHook('onResponse', (request, reply, done) => {
    seen.push({ request, reply });
    done();
  });
  app.route({ method: ['GET', 'POST', 'PUT'], url: '/fhir', handler: async () => 'ok' });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/fhir/*', handler: async () => 'ok' });
  app.get('/portal/apps/:id', async () => 'ok');
  return { app, metrics, seen };
}

test('route classes: the FHIR interaction, the route pattern, or unmatched; never the URL', async () => {
  const { app, seen } = appWithMetrics();
  for (const [method, url, expected] of [
    ['GET', '/fhir/Patient/p1?_elements=name', 'fhir:read'],
    ['POST', '/fhir/Observation', 'fhir:create'],
    ['GET', '/fhir?_type=Patient', 'fhir:search-system'],
    ['GET', '/portal/apps/abc123?reveal=k', '/portal/apps/:id'],
    ['GET', '/elsewhere/p1', 'unmatched'],
  ] as const) {
    seen.length = 0;
    await app.inject({ method, url });
    const last = seen.at(-1);
    assert.ok(last !== undefined);
    assert.equal(routeClass(last.request), expected, `${method} ${url}`);
  }
  await app.close();
});

test('the hook’s cost per request is a few microseconds at most (measured on a FHIR read)', async (t) => {
  const { app, metrics: counted, seen } = appWithMetrics();
  await app.inject({ method: 'GET', url: '/fhir/Patient/p1' });
  const read = seen[0];
  assert.ok(read !== undefined);
  // What the hook does per request, on the real request and reply of a read.
  const metrics = httpMetrics(new Registry());
  const once = () => metrics.request(read.request.method, routeClass(read.request), read.reply.statusCode, read.reply.elapsedTime / 1000);
  for (let i = 0; i < 20_000; i++) once();
  const n = 200_000;
  // CPU time, not wall time: the machine the tests run on is shared.
  const started = process.cpuUsage();
  for (let i = 0; i < n; i++) once();
  const used = process.cpuUsage(started);
  const perRequestNs = ((used.user + used.system) * 1000) / n;
  t.diagnostic(`metrics hook: ${perRequestNs.toFixed(0)} ns of CPU per FHIR read`);
  // A loose bound (the machine is shared): a read answers in ~100 µs; the hook must stay a small part of it.
  assert.ok(perRequestNs < 5_000, `${perRequestNs} ns per request`);
  const samples = parseSamples(counted.exposition());
  assert.equal(sampleValue(samples, 'fhirkeep_http_requests_total', { method: 'GET', route: 'fhir:read', status: '200' }), 1, 'the app counted its one request');
  await app.close();
});
