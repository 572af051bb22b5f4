/**
 * `/metrics` over HTTP (docs/observability.md): the Prometheus text format with process,
 * HTTP, database and job metrics; requests counted by route class and refused credentials by
 * endpoint and reason, with labels that never carry an id, a query, a token or an email; and
 * who may scrape: this machine only by default, a bearer token's holder when one is set.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { inputValue, TestBrowser } from './support/browser.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { institutionToken } from './support/institution.js';
import { parseSamples, sampleValue, type Sample } from './support/prometheus.js';

let server: TestServer;
let seed: string;
let service: { id: string; secret: string };
const PATIENT_ID = 'metrics-patient-5c1e';
const PASSWORD = 'correct horse battery staple';

before(async () => {
  // Every address, so a caller from another one can be tried; no export worker, so a job stays queued.
  server = await startTestServer({ FHIRKEEP_HOST: '::', FHIRKEEP_EXPORT_WORKERS: '0' });
  const { fhirkeep } = server;
  seed = await institutionToken(fhirkeep);
  const made = await fhirkeep.auth.clients.register({ type: 'service', name: 'metrics feed', scopes: ['system/Patient.rs'] });
  service = { id: made.client.id, secret: made.secret ?? '' };
  await fhirkeep.auth.accessFilters.setAccessFilter(service.id, { filter: null, reach: 'all' });
  await fhirkeep.auth.accounts.create({ email: 'metrics-person@example.org', password: PASSWORD, roles: ['patient'], patientId: PATIENT_ID });
  const created = await fhir('PUT', `Patient/${PATIENT_ID}`, seed, { resourceType: 'Patient', id: PATIENT_ID, name: [{ family: 'Quillfeather' }] });
  assert.equal(created.status, 201);
});
after(() => server.close());

async function fhir(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.fhirBase}/${path}`, {
    method,
    headers: {
      accept: 'application/fhir+json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

async function scrape(base = server.baseUrl, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string; samples: Sample[] }> {
  const res = await fetch(`${base}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, samples: res.status === 200 ? parseSamples(text) : [] };
}

/** How much each counter sample grew between two scrapes (0 for one that did not). */
const grew = (before: readonly Sample[], after: readonly Sample[], name: string, labels: Record<string, string>) =>
  (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);

test('a scrape from this machine: the Prometheus text format, with process, database, job and audit queue metrics', async () => {
  const kickOff = await fetch(`${server.fhirBase}/$export`, { headers: { authorization: `Bearer ${seed}`, accept: 'application/fhir+json', prefer: 'respond-async' } });
  assert.equal(kickOff.status, 202, await kickOff.text());
  const { status, type, samples, text } = await scrape();
  assert.equal(status, 200);
  assert.equal(type, 'text/plain; version=0.0.4; charset=utf-8');
  for (const name of ['fhirkeep_process_cpu_user_seconds_total', 'fhirkeep_process_resident_memory_bytes', 'fhirkeep_nodejs_eventloop_lag_seconds']) {
    assert.ok(sampleValue(samples, name) !== undefined, name);
  }
  assert.match(text, /# TYPE fhirkeep_nodejs_gc_duration_seconds histogram/);
  assert.equal(sampleValue(samples, 'fhirkeep_db_up'), 1);
  assert.ok((sampleValue(samples, 'fhirkeep_db_ping_seconds') ?? -1) >= 0);
  assert.equal(sampleValue(samples, 'fhirkeep_db_pool_max_connections', { pool: 'main' }), 10);
  const connections = samples.filter((s) => s.name === 'fhirkeep_db_connections');
  assert.ok(
    connections.some((s) => s.labels['pool'] === 'main' && s.value > 0),
    `this node's main pool has connections open: ${JSON.stringify(connections)}`,
  );
  assert.equal(sampleValue(samples, 'fhirkeep_export_jobs', { state: 'queued' }), 1, 'the kick-off waits: this node runs no exports');
  assert.equal(sampleValue(samples, 'fhirkeep_export_jobs', { state: 'running' }), 0);
  assert.equal(sampleValue(samples, 'fhirkeep_export_runs'), 0);
  assert.equal(sampleValue(samples, 'fhirkeep_export_run_slots'), 0);
  assert.equal(sampleValue(samples, 'fhirkeep_request_statistics_flush_failures_total'), 0);
  // The audit queue: the kick-off (and the seed's writes and sign-ins) went through it.
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_capacity'), 10_000);
  assert.ok((sampleValue(samples, 'fhirkeep_audit_queue_depth') ?? -1) >= 0);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_batches_failed_total'), 0);
  assert.equal(sampleValue(samples, 'fhirkeep_audit_queue_overflow_total'), 0);
  await server.fhirkeep.audit.flush();
  assert.ok((sampleValue((await scrape()).samples, 'fhirkeep_audit_events_written_total') ?? 0) > 0, 'audit rows written');
});

test('requests are counted by route class (FHIR interaction, route pattern, unmatched), with their latency', async () => {
  const before = (await scrape()).samples;
  assert.equal((await fhir('GET', `Patient/${PATIENT_ID}`, seed)).status, 200);
  assert.equal((await fhir('GET', `Patient/${PATIENT_ID}?_elements=name`, seed)).status, 200);
  assert.equal((await fhir('GET', 'Patient?family=Quillfeather', seed)).status, 200);
  assert.equal((await fhir('GET', 'Patient/no-such-patient-77', seed)).status, 404);
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
  assert.equal((await fetch(`${server.baseUrl}/no/route/here-3141`)).status, 404);
  assert.equal((await fetch(`${server.fhirBase}/Patient/%E0%A4%A`)).status, 400, 'a URL Fastify refuses before routing');
  const after = (await scrape()).samples;
  const requests = (labels: Record<string, string>) => grew(before, after, 'fhirkeep_http_requests_total', labels);
  assert.equal(requests({ method: 'GET', route: 'fhir:read', status: '200' }), 2, 'a query string is the same read');
  assert.equal(requests({ method: 'GET', route: 'fhir:read', status: '404' }), 1);
  assert.equal(requests({ method: 'GET', route: 'fhir:search-type', status: '200' }), 1);
  assert.equal(requests({ method: 'GET', route: '/healthz', status: '200' }), 1);
  assert.equal(requests({ method: 'GET', route: 'unmatched', status: '404' }), 1);
  assert.equal(requests({ method: 'GET', route: 'unmatched', status: '400' }), 1);
  assert.equal(grew(before, after, 'fhirkeep_http_request_duration_seconds_count', { method: 'GET', route: 'fhir:read' }), 3);
  assert.ok(grew(before, after, 'fhirkeep_http_request_duration_seconds_sum', { method: 'GET', route: 'fhir:read' }) > 0);
  assert.equal(grew(before, after, 'fhirkeep_http_request_duration_seconds_bucket', { method: 'GET', route: 'fhir:read', le: '+Inf' }), 3);
});

describe('refused credentials, by endpoint and reason', () => {
  let before: Sample[];
  const refused: [string, string][] = [];
  const form = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });

  test('each kind of refusal answers as it should', async () => {
    before = (await scrape()).samples;
    assert.equal((await fhir('GET', 'Patient', 'not-a-token-of-ours')).status, 401);
    assert.equal((await fhir('GET', 'Patient', undefined)).status, 401);
    refused.push(['fhir', 'invalid_token'], ['fhir', 'invalid_token']);
    const narrow = await institutionToken(server.fhirkeep, 'system/Patient.rs');
    assert.equal((await fhir('GET', 'Observation', narrow)).status, 403);
    refused.push(['fhir', 'insufficient_scope']);
    assert.equal((await fetch(`${server.fhirBase}/bulk-status/${crypto.randomUUID()}`)).status, 401);
    refused.push(['bulk', 'invalid_token']);

    const basic = (secret: string) => `Basic ${Buffer.from(`${service.id}:${secret}`).toString('base64')}`;
    for (const [fields, authorization] of [
      [{ grant_type: 'client_credentials', scope: 'system/Patient.rs' }, basic('not-the-secret')],
      [{ grant_type: 'password', username: 'a', password: 'b' }, basic(service.secret)],
      [{ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' }, basic(service.secret)],
    ] as const) {
      const res = await form('/oauth2/token', fields, { authorization });
      const body = (await res.json()) as { error: string };
      assert.ok(res.status === 400 || res.status === 401, `${res.status} ${body.error}`);
      refused.push(['token', body.error]);
    }
    assert.deepEqual(
      refused.slice(-3).map(([, reason]) => reason),
      ['invalid_client', 'unsupported_grant_type', 'invalid_grant'],
    );
    const introspect = await form('/oauth2/introspect', { token: 'x' }, { authorization: basic('not-the-secret') });
    assert.equal(introspect.status, 401);
    refused.push(['introspect', 'invalid_client']);

    const browser = new TestBrowser(server.baseUrl);
    const csrf = inputValue((await browser.get('/portal/sign-in')).text, 'csrf') ?? '';
    const signIn = await browser.post('/portal/sign-in', { email: 'metrics-person@example.org', password: 'not the password', next: '/portal', csrf });
    assert.equal(signIn.status, 401);
    refused.push(['login', 'invalid_credentials']);

    const hie = await form('/api/1.0/sso/signin', { email: 'metrics-person@example.org', password: PASSWORD }, { client_id: 'no-such-org', 'x-auth-token': 'not-a-token' });
    assert.equal(hie.status, 401);
    refused.push(['hie', 'invalid_client']);
    assert.equal((await fetch(`${server.baseUrl}/api/clients`)).status, 401);
    refused.push(['api', 'no_session']);
  });

  test('each is counted once under its endpoint and reason, and nothing else is', async () => {
    const after = (await scrape()).samples;
    const expected = new Map<string, number>();
    for (const [endpoint, reason] of refused) expected.set(`${endpoint} ${reason}`, (expected.get(`${endpoint} ${reason}`) ?? 0) + 1);
    const counted = new Map<string, number>();
    for (const s of after.filter((x) => x.name === 'fhirkeep_auth_failures_total')) {
      const labels = { endpoint: s.labels['endpoint'] ?? '', reason: s.labels['reason'] ?? '' };
      const n = grew(before, after, 'fhirkeep_auth_failures_total', labels);
      if (n > 0) counted.set(`${labels.endpoint} ${labels.reason}`, n);
    }
    assert.deepEqual(Object.fromEntries([...counted].sort()), Object.fromEntries([...expected].sort()));
  });
});

test('labels are bounded and carry no id, query, token, secret or email', async () => {
  const token = await institutionToken(server.fhirkeep, 'system/Patient.rs');
  for (let i = 0; i < 30; i++) {
    await fhir('GET', `Patient/random-id-${i}-zq?name=Secretname${i}`, token);
    await fetch(`${server.baseUrl}/portal/apps/random-app-${i}-zq?x=${i}`);
    await fetch(`${server.baseUrl}/random-path-${i}-zq`);
  }
  const { text, samples } = await scrape();
  for (const leak of ['random-id', 'random-app', 'random-path', 'Secretname', PATIENT_ID, 'Quillfeather', token, seed, service.secret, 'metrics-person@example.org', 'example.org', '?']) {
    assert.ok(!text.includes(leak), `the scrape shows ${leak.slice(0, 40)}`);
  }
  const routes = new Set(samples.filter((s) => s.name === 'fhirkeep_http_requests_total').map((s) => s.labels['route']));
  assert.ok(routes.size < 30, `a handful of route classes, not one per URL: ${[...routes].join(' ')}`);
  assert.ok(routes.has('/portal/apps/:id'), 'a portal page by its pattern');
});

test('without FHIRKEEP_METRICS_TOKEN, a caller from another address is refused (403 OperationOutcome)', async (t) => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && !a.internal && a.family === 'IPv4');
  if (external === undefined) {
    t.skip('this machine has no non-loopback IPv4 address to call from');
    return;
  }
  const port = new URL(server.baseUrl).port;
  const res = await fetch(`http://${external.address}:${port}/metrics`);
  assert.equal(res.status, 403);
  const body = (await res.json()) as { resourceType: string; issue: { code: string; diagnostics: string }[] };
  assert.equal(body.resourceType, 'OperationOutcome');
  assert.match(body.issue[0]?.diagnostics ?? '', /FHIRKEEP_METRICS_TOKEN/);
  const spoofed = await fetch(`http://${external.address}:${port}/metrics`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
  assert.equal(spoofed.status, 403, 'a header cannot claim to be this machine');
  assert.equal((await fetch(`http://${external.address}:${port}/healthz`)).status, 200, 'other routes answer as before');
  assert.equal((await scrape()).status, 200, 'from this machine it still answers');
});

test('with FHIRKEEP_METRICS_TOKEN, /metrics needs exactly that bearer token, from any address', async () => {
  const metricsToken = 'm3tr1cs-t0ken-for-the-scraper-0123456789';
  const guarded = await startTestServer({ FHIRKEEP_METRICS_TOKEN: metricsToken });
  try {
    for (const authorization of [undefined, `Bearer ${metricsToken.slice(0, -1)}`, `Bearer ${metricsToken}x`, `Basic ${metricsToken}`, `Bearer ${metricsToken} extra`, 'Bearer']) {
      const res = await fetch(`${guarded.baseUrl}/metrics`, { headers: authorization === undefined ? {} : { authorization } });
      assert.equal(res.status, 401, String(authorization));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="fhirkeep-metrics"');
      const body = (await res.json()) as { resourceType: string; issue: { code: string }[] };
      assert.deepEqual([body.resourceType, body.issue[0]?.code], ['OperationOutcome', 'login']);
    }
    for (const authorization of [`Bearer ${metricsToken}`, `bearer  ${metricsToken}`]) {
      const ok = await scrape(guarded.baseUrl, { authorization });
      assert.equal(ok.status, 200, authorization);
      assert.ok(!ok.text.includes(metricsToken), 'the token is never shown');
    }
    const after = (await scrape(guarded.baseUrl, { authorization: `Bearer ${metricsToken}` })).samples;
    assert.equal(sampleValue(after, 'fhirkeep_http_requests_total', { method: 'GET', route: '/metrics', status: '401' }), 6);
  } finally {
    await guarded.close();
  }
});
