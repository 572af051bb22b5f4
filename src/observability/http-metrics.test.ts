import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { parseSamples, sampleValue } from '../../test/support/prometheus.js';
import { httpMetrics } from './http-metrics.js';

test('requests by method, route class and status; latency as a cumulative histogram with sum and count', () => {
  const metrics = httpMetrics(new Registry());
  metrics.request('GET', 'fhir:read', 200, 0.0004);
  metrics.request('GET', 'fhir:read', 200, 0.003);
  metrics.request('GET', 'fhir:read', 404, 0.002);
  metrics.request('GET', 'fhir:read', 200, 42);
  metrics.request('BREW', '/portal/apps/:id', 405, 0.01);
  const text = metrics.exposition();
  const samples = parseSamples(text);
  const read = { method: 'GET', route: 'fhir:read' };
  assert.equal(sampleValue(samples, 'fhirkeep_http_requests_total', { ...read, status: '200' }), 3);
  assert.equal(sampleValue(samples, 'fhirkeep_http_requests_total', { ...read, status: '404' }), 1);
  const bucket = (le: string) => sampleValue(samples, 'fhirkeep_http_request_duration_seconds_bucket', { ...read, le });
  assert.deepEqual(['0.001', '0.0025', '0.005', '10', '+Inf'].map(bucket), [1, 2, 3, 3, 4], 'cumulative; 42 s only in +Inf');
  assert.equal(sampleValue(samples, 'fhirkeep_http_request_duration_seconds_count', read), 4);
  assert.ok(Math.abs((sampleValue(samples, 'fhirkeep_http_request_duration_seconds_sum', read) ?? 0) - 42.0054) < 1e-9);
  assert.equal(sampleValue(samples, 'fhirkeep_http_requests_total', { method: 'OTHER', route: '/portal/apps/:id', status: '405' }), 1, 'an unknown method is OTHER');
  assert.match(text, /# TYPE fhirkeep_http_requests_total counter\n/);
  assert.match(text, /# TYPE fhirkeep_http_request_duration_seconds histogram\n/);
  assert.ok(text.endsWith('\n'));
});

test('a route class is escaped as a label value (backslash, quote, line feed)', () => {
  const metrics = httpMetrics(new Registry());
  metrics.request('GET', 'odd\\"\nroute', 200, 0.001);
  const samples = parseSamples(metrics.exposition());
  assert.equal(sampleValue(samples, 'fhirkeep_http_requests_total', { method: 'GET', route: 'odd\\"\nroute', status: '200' }), 1);
});

test('refused credentials go to the registry’s counter', async () => {
  const registry = new Registry();
  const metrics = httpMetrics(registry);
  metrics.authFailure({ endpoint: 'token', reason: 'invalid_client' });
  metrics.authFailure({ endpoint: 'token', reason: 'invalid_client' });
  assert.equal(sampleValue(parseSamples(await registry.metrics()), 'fhirkeep_auth_failures_total', { endpoint: 'token', reason: 'invalid_client' }), 2);
});
