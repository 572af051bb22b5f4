import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serverForThisFile } from './support/fhirkeep-server.js';

const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:mrn', value: 'crud-1' }],
  name: [{ family: 'Chalmers', given: ['Peter', 'James'] }],
  gender: 'male',
  birthDate: '1974-12-25',
};

const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1' });

describe('create and read', () => {
  test('create assigns id, version and lastUpdated, and read returns the same bytes', async () => {
    const created = await file.fhir('POST', '/Patient', { body: { ...patient, id: 'ignored', meta: { versionId: '99' } } });
    assert.equal(created.status, 201);
    assert.notEqual(created.json.id, 'ignored', 'R4 §3.1.0.8: a create ignores the id in the body');
    assert.equal(created.json.meta.versionId, '1');
    assert.match(created.json.meta.lastUpdated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(created.headers.get('location'), `${file.server.fhirBase}/Patient/${created.json.id}/_history/1`);
    assert.equal(created.headers.get('etag'), 'W/"1"');
    assert.ok(created.headers.get('last-modified'));
    assert.match(created.headers.get('content-type') ?? '', /^application\/fhir\+json/);

    const read = await file.fhir('GET', `/Patient/${created.json.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.text, created.text);
    assert.equal(read.headers.get('etag'), 'W/"1"');
    assert.deepEqual(read.json.name, patient.name);
  });

  test('conditional read answers 304 for the current ETag', async () => {
    const created = await file.fhir('POST', '/Patient', { body: patient });
    const res = await file.fhir('GET', `/Patient/${created.json.id}`, { headers: { 'if-none-match': 'W/"1"' } });
    assert.equal(res.status, 304);
    const changed = await file.fhir('GET', `/Patient/${created.json.id}`, { headers: { 'if-none-match': 'W/"7"' } });
    assert.equal(changed.status, 200);
  });

  test('read of an unknown id is 404, of an unknown type 404, of a malformed id 400', async () => {
    const missing = await file.fhir('GET', '/Patient/does-not-exist');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.resourceType, 'OperationOutcome');
    assert.equal((await file.fhir('GET', '/Patients/1')).status, 404);
    const bad = await file.fhir('GET', `/Patient/${encodeURIComponent("1' OR '1'='1")}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.issue[0].code, 'value');
    assert.equal((await file.fhir('GET', `/Patient/${'a'.repeat(65)}`)).status, 400);
  });
});

describe('update, vread and delete', () => {
  test('update makes version 2, vread shows both, If-Match guards against lost updates', async () => {
    const created = await file.fhir('POST', '/Patient', { body: patient });
    const id = created.json.id as string;
    const updated = await file.fhir('PUT', `/Patient/${id}`, {
      body: { ...patient, id, gender: 'other' },
      headers: { 'if-match': 'W/"1"' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.meta.versionId, '2');
    assert.equal(updated.headers.get('etag'), 'W/"2"');

    const stale = await file.fhir('PUT', `/Patient/${id}`, { body: { ...patient, id, gender: 'female' }, headers: { 'if-match': 'W/"1"' } });
    assert.equal(stale.status, 412);
    assert.equal((await file.fhir('GET', `/Patient/${id}`)).json.gender, 'other', 'a stale If-Match writes nothing');

    const v1 = await file.fhir('GET', `/Patient/${id}/_history/1`);
    assert.equal(v1.status, 200);
    assert.equal(v1.text, created.text);
    assert.equal((await file.fhir('GET', `/Patient/${id}/_history/2`)).json.gender, 'other');
    assert.equal((await file.fhir('GET', `/Patient/${id}/_history/3`)).status, 404);
    assert.equal((await file.fhir('GET', `/Patient/${id}/_history/abc`)).status, 404);
  });

  test('update-as-create uses the client id; the body id must match the URL', async () => {
    const made = await file.fhir('PUT', '/Patient/client-chosen-1', { body: { ...patient, id: 'client-chosen-1' } });
    assert.equal(made.status, 201);
    assert.equal(made.json.id, 'client-chosen-1');
    assert.equal(made.json.meta.versionId, '1');

    const mismatch = await file.fhir('PUT', '/Patient/client-chosen-2', { body: { ...patient, id: 'other' } });
    assert.equal(mismatch.status, 400);
    const noId = await file.fhir('PUT', '/Patient/client-chosen-2', { body: patient });
    assert.equal(noId.status, 400);
    assert.equal((await file.fhir('GET', '/Patient/client-chosen-2')).status, 404, 'nothing was written');
  });

  test('delete: read → 410, history keeps every version, deleting again is harmless', async () => {
    const created = await file.fhir('POST', '/Patient', { body: patient });
    const id = created.json.id as string;
    const del = await file.fhir('DELETE', `/Patient/${id}`);
    assert.equal(del.status, 200);
    assert.equal(del.json.resourceType, 'OperationOutcome');
    assert.equal((await file.fhir('GET', `/Patient/${id}`)).status, 410);
    assert.equal((await file.fhir('GET', `/Patient/${id}/_history/2`)).status, 410);
    assert.equal((await file.fhir('GET', `/Patient/${id}/_history/1`)).status, 200);
    const hist = await file.fhir('GET', `/Patient/${id}/_history`);
    assert.equal(hist.json.total, 2);
    assert.deepEqual(hist.json.entry.map((e: { request: { method: string } }) => e.request.method), ['DELETE', 'POST']);
    assert.equal((await file.fhir('DELETE', `/Patient/${id}`)).status, 200);

    const revived = await file.fhir('PUT', `/Patient/${id}`, { body: { ...patient, id } });
    assert.equal(revived.status, 201);
    assert.equal(revived.json.meta.versionId, '3', 'a resurrected resource continues its version sequence');
  });

  test('If-Match on delete refuses a stale version', async () => {
    const created = await file.fhir('POST', '/Patient', { body: patient });
    const res = await file.fhir('DELETE', `/Patient/${created.json.id}`, { headers: { 'if-match': 'W/"5"' } });
    assert.equal(res.status, 412);
    assert.equal((await file.fhir('GET', `/Patient/${created.json.id}`)).status, 200);
  });
});

describe('Prefer', () => {
  test('return=minimal sends no body; return=OperationOutcome sends an outcome', async () => {
    const minimal = await file.fhir('POST', '/Patient', { body: patient, headers: { prefer: 'return=minimal' } });
    assert.equal(minimal.status, 201);
    assert.equal(minimal.text, '');
    assert.ok(minimal.headers.get('location'));
    const outcome = await file.fhir('POST', '/Patient', { body: patient, headers: { prefer: 'return=OperationOutcome' } });
    assert.equal(outcome.status, 201);
    assert.equal(outcome.json.resourceType, 'OperationOutcome');
  });
});

describe('patch', () => {
  test('JSON Patch updates the resource and bumps the version', async () => {
    const created = await file.fhir('POST', '/Patient', { body: patient });
    const id = created.json.id as string;
    const res = await file.fhir('PATCH', `/Patient/${id}`, {
      raw: JSON.stringify([{ op: 'replace', path: '/gender', value: 'female' }]),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.gender, 'female');
    assert.equal(res.json.meta.versionId, '2');
  });

  test('bad patches are refused and change nothing', async () => {
    const created = await file.fhir('POST', '/Patient', { body: patient });
    const id = created.json.id as string;
    const send = (raw: string, contentType = 'application/json-patch+json', headers: Record<string, string> = {}) =>
      file.fhir('PATCH', `/Patient/${id}`, { raw, headers: { 'content-type': contentType, ...headers } });
    assert.equal((await send('{"op":"replace"}')).status, 400, 'not an array');
    assert.equal((await send('[{"op":"explode","path":"/gender"}]')).status, 400, 'unknown op');
    assert.equal((await send('[{"op":"replace"')).status, 400, 'malformed JSON');
    assert.equal((await send('[{"op":"test","path":"/gender","value":"female"}]')).status, 422, 'failed test op');
    assert.equal((await send('[{"op":"replace","path":"/gender","value":42}]')).status, 422, 'result is invalid');
    assert.equal((await send('[{"op":"replace","path":"/id","value":"x"}]')).status, 422, 'id change');
    assert.equal((await send('[]', 'application/fhir+json')).status, 415);
    assert.equal((await send('[]', 'application/json-patch+json', { 'if-match': 'W/"9"' })).status, 412);
    const after = await file.fhir('GET', `/Patient/${id}`);
    assert.equal(after.text, created.text, 'nothing changed');
  });
});

describe('conditional interactions', () => {
  test('If-None-Exist creates once, then returns the match', async () => {
    const body = { ...patient, identifier: [{ system: 'urn:mrn', value: 'cond-create' }] };
    const headers = { 'if-none-exist': 'identifier=urn:mrn|cond-create' };
    const first = await file.fhir('POST', '/Patient', { body, headers });
    assert.equal(first.status, 201);
    const second = await file.fhir('POST', '/Patient', { body, headers });
    assert.equal(second.status, 200);
    assert.equal(second.json.id, first.json.id);
  });

  test('conditional create with several matches is 412', async () => {
    const body = { ...patient, identifier: [{ system: 'urn:mrn', value: 'dup' }] };
    await file.fhir('POST', '/Patient', { body });
    await file.fhir('POST', '/Patient', { body });
    const res = await file.fhir('POST', '/Patient', { body, headers: { 'if-none-exist': 'identifier=urn:mrn|dup' } });
    assert.equal(res.status, 412);
  });

  test('concurrent conditional creates make one resource', async () => {
    const body = { ...patient, identifier: [{ system: 'urn:mrn', value: 'race' }] };
    const headers = { 'if-none-exist': 'identifier=urn:mrn|race' };
    const results = await Promise.all(Array.from({ length: 8 }, () => file.fhir('POST', '/Patient', { body, headers })));
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    assert.equal(new Set(results.map((r) => r.json.id)).size, 1);
  });

  test('conditional update: no match creates, one match updates, several → 412', async () => {
    const url = '/Patient?identifier=urn:mrn|cond-update';
    const body = { ...patient, identifier: [{ system: 'urn:mrn', value: 'cond-update' }] };
    const created = await file.fhir('PUT', url, { body });
    assert.equal(created.status, 201);
    const updated = await file.fhir('PUT', url, { body: { ...body, gender: 'female' } });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.id, created.json.id);
    assert.equal(updated.json.meta.versionId, '2');
    await file.fhir('POST', '/Patient', { body });
    assert.equal((await file.fhir('PUT', url, { body })).status, 412);
  });

  test('conditional delete removes the one match', async () => {
    const body = { ...patient, identifier: [{ system: 'urn:mrn', value: 'cond-delete' }] };
    const created = await file.fhir('POST', '/Patient', { body });
    const res = await file.fhir('DELETE', '/Patient?identifier=urn:mrn|cond-delete');
    assert.equal(res.status, 200);
    assert.equal((await file.fhir('GET', `/Patient/${created.json.id}`)).status, 410);
  });

  test('conditional delete by _id', async () => {
    const created = await file.fhir('POST', '/Patient', { body: patient });
    assert.equal((await file.fhir('DELETE', `/Patient?_id=${created.json.id}`)).status, 200);
    assert.equal((await file.fhir('GET', `/Patient/${created.json.id}`)).status, 410);
  });

  test('an identifier too long to index is stored, not a database error', async () => {
    const long = 'x'.repeat(5000);
    const res = await file.fhir('POST', '/Patient', { body: { ...patient, identifier: [{ system: long, value: long }] } });
    assert.equal(res.status, 201);
  });

  test('criteria Fhirkeep cannot evaluate are refused, never ignored', async () => {
    assert.equal((await file.fhir('DELETE', '/Patient?nickname=Chalmers')).status, 400, 'unknown parameter');
    assert.equal((await file.fhir('DELETE', '/Patient')).status, 400, 'no criteria at all');
    assert.equal((await file.fhir('PUT', '/Patient?family:sounds-like=x', { body: patient })).status, 400, 'unknown modifier');
    assert.equal((await file.fhir('PUT', '/Patient?_text=x', { body: patient })).status, 400, 'unsupported parameter');
  });

  test('any search parameter can select the target of a conditional interaction', async () => {
    const body = { ...patient, name: [{ family: 'Conditionalson' }], birthDate: '1970-01-01' };
    const created = await file.fhir('PUT', '/Patient?family=conditionalson&birthdate=1970', { body });
    assert.equal(created.status, 201);
    const updated = await file.fhir('PUT', '/Patient?family=conditionalson&birthdate=1970', { body: { ...body, gender: 'other' } });
    assert.equal(updated.json.id, created.json.id);
    assert.equal((await file.fhir('DELETE', '/Patient?family:exact=Conditionalson')).status, 200);
    assert.equal((await file.fhir('GET', `/Patient/${created.json.id}`)).status, 410);
  });
});
