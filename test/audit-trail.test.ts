import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { auditRowOf, auditRows, committedAuditRows } from './support/audit.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { httpClient, type HttpClient, type HttpResult } from './support/http.js';
import { institutionToken } from './support/institution.js';

/**
 * The AuditEvent trail as written (docs/audit.md), driven over HTTP: one row per FHIR
 * interaction with its codes, agents, request id and the patients whose data it returned or
 * changed; refusals as refused; writes with their row in one transaction.
 */
const file = {} as { server: TestServer; fhir: HttpClient };
let auth: Record<string, string>;
let clientId: string;

const CODE = { coding: [{ system: 'http://loinc.org', code: '29463-7' }] };
const observation = (id: string, patient: string) => ({ resourceType: 'Observation', id, status: 'final', code: CODE, subject: { reference: `Patient/${patient}` } });

before(async () => {
  file.server = await startTestServer();
  file.fhir = httpClient(file.server.fhirBase);
  const token = await institutionToken(file.server.fhirkeep);
  auth = { authorization: `Bearer ${token}` };
  clientId = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).client_id;
  for (const resource of [{ resourceType: 'Patient', id: 'pa' }, { resourceType: 'Patient', id: 'pb' }, observation('oa', 'pa'), observation('ob', 'pb')]) {
    assert.equal((await file.fhir('PUT', `/${resource.resourceType}/${resource.id}`, { body: resource, headers: auth })).status, 201);
  }
});

after(() => file.server.close());

/** The audit row of one answered request, found by the X-Request-Id it was answered with. */
const rowOf = (res: HttpResult) => auditRowOf(file.server.fhirkeep, res.headers.get('x-request-id'));

test('reads, searches, history and $everything name whose data they returned', async () => {
  const read = await file.fhir('GET', '/Patient/pa', { headers: auth });
  assert.equal(read.status, 200);
  const row = await rowOf(read);
  assert.deepEqual(
    [row.type, row.subtype, row.action, row.outcome, row.entity, row.patient_ids, row.client_id, row.ip],
    ['rest', 'read', 'R', 0, ['Patient/pa'], ['pa'], clientId, '127.0.0.1'],
  );

  const both = await file.fhir('GET', '/Observation?code=http://loinc.org|29463-7&_format=json', { headers: auth });
  assert.equal(both.json.entry.length, 2);
  const search = await rowOf(both);
  assert.deepEqual([search.subtype, search.action, search.entity, search.patient_ids.sort()], ['search-type', 'R', [], ['pa', 'pb']]);
  assert.equal(search.query, 'code=http%3A%2F%2Floinc.org%7C29463-7', 'the query, without _format');

  const none = await rowOf(await file.fhir('GET', '/Observation?code=http://loinc.org|0000-0', { headers: auth }));
  assert.deepEqual([none.outcome, none.patient_ids], [0, []], 'a search that returned nothing names nobody');

  const posted = await rowOf(await file.fhir('POST', '/Observation/_search', { raw: 'subject=Patient/pb', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } }));
  assert.deepEqual([posted.subtype, posted.query, posted.patient_ids], ['search-type', 'subject=Patient%2Fpb', ['pb']]);

  const included = await rowOf(await file.fhir('GET', '/Observation?_id=oa&_include=Observation:subject', { headers: auth }));
  assert.deepEqual(included.patient_ids, ['pa']);

  const vread = await rowOf(await file.fhir('GET', '/Observation/ob/_history/1', { headers: auth }));
  assert.deepEqual([vread.subtype, vread.entity, vread.patient_ids], ['vread', ['Observation/ob'], ['pb']]);
  const history = await rowOf(await file.fhir('GET', '/Observation/oa/_history', { headers: auth }));
  assert.deepEqual([history.subtype, history.entity, history.patient_ids], ['history-instance', ['Observation/oa'], ['pa']]);
  const typeHistory = await rowOf(await file.fhir('GET', '/Observation/_history', { headers: auth }));
  assert.deepEqual([typeHistory.subtype, typeHistory.patient_ids.sort()], ['history-type', ['pa', 'pb']]);
  const everything = await rowOf(await file.fhir('GET', '/Patient/pb/$everything', { headers: auth }));
  assert.deepEqual([everything.subtype, everything.action, everything.entity, everything.patient_ids], ['everything', 'R', ['Patient/pb'], ['pb']]);
  const system = await rowOf(await file.fhir('GET', '/?_type=Patient&_id=pb', { headers: auth }));
  assert.deepEqual([system.subtype, system.patient_ids], ['search-system', ['pb']]);
});

test('each write commits with its audit row: create, update, update-as-create, patch, delete', async () => {
  const { sql } = file.server.fhirkeep.database;
  // Read without flushing the queue: a write's row is committed with the write itself.
  const committed = async (res: HttpResult) => (await committedAuditRows(sql)).filter((r) => r.request_id === res.headers.get('x-request-id'));

  const created = await file.fhir('POST', '/Observation', { body: observation('ignored', 'pa'), headers: auth });
  assert.equal(created.status, 201);
  const [create] = await committed(created);
  assert.deepEqual([create?.subtype, create?.action, create?.outcome, create?.entity, create?.patient_ids], ['create', 'C', 0, [`Observation/${created.json.id}`], ['pa']]);

  const upserted = await file.fhir('PUT', '/Observation/oc', { body: observation('oc', 'pb'), headers: auth });
  const [upsert] = await committed(upserted);
  assert.deepEqual([upsert?.subtype, upsert?.action, upsert?.entity, upsert?.patient_ids], ['update', 'C', ['Observation/oc'], ['pb']], 'an update that creates is a create');
  const [update] = await committed(await file.fhir('PUT', '/Observation/oc', { body: { ...observation('oc', 'pb'), status: 'amended' }, headers: auth }));
  assert.deepEqual([update?.subtype, update?.action, update?.patient_ids], ['update', 'U', ['pb']]);

  const patched = await file.fhir('PATCH', '/Observation/oc', { raw: JSON.stringify([{ op: 'replace', path: '/status', value: 'final' }]), headers: { ...auth, 'content-type': 'application/json-patch+json' } });
  assert.equal(patched.status, 200);
  const [patch] = await committed(patched);
  assert.deepEqual([patch?.subtype, patch?.action, patch?.entity, patch?.patient_ids], ['patch', 'U', ['Observation/oc'], ['pb']]);

  const [deletion] = await committed(await file.fhir('DELETE', '/Observation/oc', { headers: auth }));
  assert.deepEqual([deletion?.subtype, deletion?.action, deletion?.entity, deletion?.patient_ids], ['delete', 'D', ['Observation/oc'], ['pb']]);

  const stale = await file.fhir('PUT', '/Observation/oa', { body: observation('oa', 'pa'), headers: { ...auth, 'if-match': 'W/"99"' } });
  assert.equal(stale.status, 412);
  const failed = await rowOf(stale);
  assert.deepEqual([failed.subtype, failed.outcome, failed.outcome_desc, failed.patient_ids], ['update', 4, 'precondition-failed', []], 'a failed write: its refusal, no patients');
});

test('a refused request is audited as refused, and names no patient', async () => {
  const anonymous = await file.fhir('GET', '/Observation/oa');
  assert.equal(anonymous.status, 401);
  const unauthenticated = await rowOf(anonymous);
  assert.deepEqual(
    [unauthenticated.subtype, unauthenticated.outcome, unauthenticated.outcome_desc, unauthenticated.client_id, unauthenticated.entity, unauthenticated.patient_ids],
    ['read', 4, 'unauthorized', null, ['Observation/oa'], []],
  );
  const badToken = await rowOf(await file.fhir('POST', '/', { body: { resourceType: 'Bundle', type: 'batch' }, headers: { authorization: 'Bearer not-a-token' } }));
  assert.deepEqual([badToken.subtype, badToken.outcome], ['bundle', 4]);

  const patientsOnly = { authorization: `Bearer ${await institutionToken(file.server.fhirkeep, 'system/Patient.rs')}` };
  const forbidden = await file.fhir('GET', '/Observation/oa', { headers: patientsOnly });
  assert.equal(forbidden.status, 403);
  const refused = await rowOf(forbidden);
  assert.deepEqual([refused.subtype, refused.outcome, refused.outcome_desc, refused.patient_ids], ['read', 4, 'forbidden', []]);
  assert.ok(!forbidden.text.includes('pa'), 'the caller learns nothing of the owner');

  const missing = await rowOf(await file.fhir('GET', '/Patient/nobody', { headers: auth }));
  assert.deepEqual([missing.outcome, missing.outcome_desc, missing.patient_ids], [4, 'not-found', []]);
});

test('a transaction commits or rolls back with its entries\' audit rows; a batch audits each entry', async () => {
  const entry = (id: string, patient: string) => ({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: observation(id, patient), request: { method: 'POST', url: 'Observation' } });
  const ok = await file.fhir('POST', '/', { body: { resourceType: 'Bundle', type: 'transaction', entry: [entry('x', 'pa'), entry('y', 'pb')] }, headers: auth });
  assert.equal(ok.status, 200, ok.text);
  const ids = ok.json.entry.map((e: { response: { location: string } }) => e.response.location.replace(`${file.server.fhirBase}/`, '').split('/_history')[0]);
  const rows = (await auditRows(file.server.fhirkeep)).filter((r) => r.request_id === ok.headers.get('x-request-id'));
  const sorted = <T>(list: T[]) => list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  assert.deepEqual(sorted(rows.map((r) => [r.subtype, r.action, r.entity, r.patient_ids])), sorted([
    ['create', 'C', [ids[0]], ['pa']],
    ['create', 'C', [ids[1]], ['pb']],
    ['transaction', 'E', [], []],
  ]));

  const before = await file.fhir('GET', '/Observation?_summary=count', { headers: auth });
  const failing = await file.fhir('POST', '/', {
    body: { resourceType: 'Bundle', type: 'transaction', entry: [entry('z', 'pa'), { resource: observation('oa', 'pa'), request: { method: 'PUT', url: 'Observation/oa', ifMatch: 'W/"99"' } }] },
    headers: auth,
  });
  assert.equal(failing.status, 412);
  const after = await file.fhir('GET', '/Observation?_summary=count', { headers: auth });
  assert.equal(after.json.total, before.json.total, 'nothing was written');
  const failed = (await auditRows(file.server.fhirkeep)).filter((r) => r.request_id === failing.headers.get('x-request-id'));
  assert.deepEqual(failed.map((r) => [r.subtype, r.outcome, r.patient_ids]).sort(), [
    ['transaction', 4, []],
    ['update', 4, []],
  ], 'no create row survives the rollback; the failing entry and the transaction are refusals');

  const batch = await file.fhir('POST', '/', {
    body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/pa' } }, { request: { method: 'GET', url: 'Patient/nobody' } }] },
    headers: auth,
  });
  const batchRows = (await auditRows(file.server.fhirkeep)).filter((r) => r.request_id === batch.headers.get('x-request-id'));
  assert.deepEqual(batchRows.map((r) => [r.subtype, r.outcome, r.entity, r.patient_ids]).sort(), [
    ['batch', 0, [], []],
    ['read', 0, ['Patient/pa'], ['pa']],
    ['read', 4, ['Patient/nobody'], []],
  ]);
});

test('a sane X-Request-Id is kept, echoed and audited; anything else is replaced', async () => {
  const kept = await file.fhir('GET', '/Patient/pa', { headers: { ...auth, 'x-request-id': 'trace-42.a:b_c' } });
  assert.equal(kept.headers.get('x-request-id'), 'trace-42.a:b_c');
  assert.equal((await rowOf(kept)).request_id, 'trace-42.a:b_c');
  for (const insane of ['has space', 'x'.repeat(129), 'quote"d']) {
    const replaced = await file.fhir('GET', '/Patient/pa', { headers: { ...auth, 'x-request-id': insane } });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, insane);
  }
  const generated = await file.fhir('GET', '/Patient/pa', { headers: auth });
  assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});

test('a $export kick-off and the job\'s completion are audited', async () => {
  const kickOff = await file.fhir('GET', '/Patient/$export?_type=Observation', { headers: { ...auth, prefer: 'respond-async' } });
  assert.equal(kickOff.status, 202, kickOff.text);
  const row = await rowOf(kickOff);
  assert.deepEqual([row.subtype, row.action, row.outcome, row.query], ['export', 'E', 0, '_type=Observation']);
  const status = kickOff.headers.get('content-location') ?? '';
  const jobId = status.split('/').pop();
  let done: { subtype: string; outcome: number; client_id: string | null; detail: Record<string, unknown> } | undefined;
  for (const deadline = Date.now() + 10_000; done === undefined && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    done = (await auditRows(file.server.fhirkeep)).find((r) => r.subtype === 'export-complete' && r.detail['job'] === jobId);
  }
  assert.deepEqual([done?.outcome, done?.client_id, done?.detail['types']], [0, clientId, ['Observation']]);
});
