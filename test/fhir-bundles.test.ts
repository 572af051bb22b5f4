import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { serverForThisFile } from './support/fhirkeep-server.js';

const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_MAX_BUNDLE_ENTRIES: '1000' });

interface Entry {
  response: { status: string; location?: string; etag?: string; outcome?: { issue: { diagnostics: string }[] } };
  resource?: { resourceType: string; id: string; subject?: { reference: string } };
}

const patient = (mrn: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }], gender: 'female' });
const weight = (subject: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  subject: { reference: subject },
  valueQuantity: { value: 70, unit: 'kg' },
});

async function everything(): Promise<number> {
  return ((await file.fhir('GET', '/_history?_count=1000')).json.entry ?? []).length as number;
}

describe('transaction', () => {
  test('creates every entry atomically and rewrites urn:uuid references to the new ids', async () => {
    const res = await file.fhir('POST', '', {
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:obs-1', resource: weight('urn:uuid:pat-1'), request: { method: 'POST', url: 'Observation' } },
          { fullUrl: 'urn:uuid:pat-1', resource: patient('tx-1'), request: { method: 'POST', url: 'Patient' } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.type, 'transaction-response');
    const [obs, pat] = res.json.entry as Entry[];
    assert.equal(obs?.response.status, '201 Created');
    assert.equal(pat?.response.status, '201 Created');
    assert.equal(obs?.resource?.subject?.reference, `Patient/${pat?.resource?.id}`);
    const read = await file.fhir('GET', `/Patient/${pat?.resource?.id}`);
    assert.equal(read.status, 200);
    const history = await file.fhir('GET', `/Observation/${obs?.resource?.id}/_history`);
    assert.equal(history.json.entry[0].request.method, 'POST', 'creates are recorded as creates');
  });

  test('creates written together are indexed like single creates', async () => {
    const res = await file.fhir('POST', '', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient('tx-indexed'), request: { method: 'POST', url: 'Patient' } }] },
    });
    assert.equal(res.status, 200);
    const again = await file.fhir('POST', '/Patient', { body: patient('tx-indexed'), headers: { 'if-none-exist': 'identifier=urn:mrn|tx-indexed' } });
    assert.equal(again.status, 200, 'the identifier written by the transaction is found');
    assert.equal(again.json.id, res.json.entry[0].resource.id);
    const unknown = await file.fhir('POST', '', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Pateint' }, request: { method: 'POST', url: 'Pateint' } }] },
    });
    assert.equal(unknown.status, 404);
  });

  test('one bad entry fails the whole transaction, names the entry and writes nothing', async () => {
    const before = await everything();
    const res = await file.fhir('POST', '', {
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: patient('tx-2'), request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Patient', gender: 'sometimes' }, request: { method: 'POST', url: 'Patient' } },
        ],
      },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.match(res.json.issue[0].diagnostics, /Bundle\.entry\[1\]/);
    assert.equal(res.json.issue[0].expression[0], 'Bundle.entry[1].resource.gender');
    assert.equal(await everything(), before);
  });

  test('a stale If-Match in one entry rolls back the others with 412', async () => {
    const made = await file.fhir('PUT', '/Patient/tx-ifmatch', { body: { ...patient('tx-3'), id: 'tx-ifmatch' } });
    assert.equal(made.status, 201);
    const before = await everything();
    const res = await file.fhir('POST', '', {
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: patient('tx-4'), request: { method: 'POST', url: 'Patient' } },
          { resource: { ...patient('tx-3'), id: 'tx-ifmatch' }, request: { method: 'PUT', url: 'Patient/tx-ifmatch', ifMatch: 'W/"7"' } },
        ],
      },
    });
    assert.equal(res.status, 412);
    assert.equal(await everything(), before);
  });

  test('conditional create inside a transaction reuses the match, and references follow it', async () => {
    const bundle = (n: string) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:p', resource: patient('tx-cond'), request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:mrn|tx-cond' } },
        { fullUrl: `urn:uuid:o${n}`, resource: weight('urn:uuid:p'), request: { method: 'POST', url: 'Observation' } },
      ],
    });
    const first = await file.fhir('POST', '', { body: bundle('1') });
    const second = await file.fhir('POST', '', { body: bundle('2') });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(first.json.entry[0].response.status, '201 Created');
    assert.equal(second.json.entry[0].response.status, '200 OK');
    const patientId = first.json.entry[0].resource.id as string;
    assert.equal(second.json.entry[1].resource.subject.reference, `Patient/${patientId}`);
  });

  test('conditional references resolve to the one match', async () => {
    const made = await file.fhir('POST', '/Patient', { body: patient('tx-condref') });
    const res = await file.fhir('POST', '', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: weight('Patient?identifier=urn:mrn|tx-condref'), request: { method: 'POST', url: 'Observation' } }] },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.entry[0].resource.subject.reference, `Patient/${made.json.id}`);
    const none = await file.fhir('POST', '', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: weight('Patient?identifier=urn:mrn|nobody'), request: { method: 'POST', url: 'Observation' } }] },
    });
    assert.equal(none.status, 422);
    const byName = await file.fhir('POST', '', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: weight('Patient?identifier=tx-condref&gender=female'), request: { method: 'POST', url: 'Observation' } }] },
    });
    assert.equal(byName.status, 200, 'any search parameter may select the target');
  });

  test('processing order: delete first, then create, then update, then read', async () => {
    await file.fhir('PUT', '/Patient/tx-order', { body: { ...patient('tx-5'), id: 'tx-order' } });
    const res = await file.fhir('POST', '', {
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { request: { method: 'GET', url: 'Patient/tx-order-2' } },
          { resource: { ...patient('tx-6'), id: 'tx-order-2' }, request: { method: 'PUT', url: 'Patient/tx-order-2' } },
          { request: { method: 'DELETE', url: 'Patient/tx-order' } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.entry.map((e: Entry) => e.response.status), ['200 OK', '201 Created', '200 OK']);
    assert.equal((await file.fhir('GET', '/Patient/tx-order')).status, 410);
  });

  test('bad bundles are refused before anything runs', async () => {
    const before = await everything();
    const send = (body: unknown) => file.fhir('POST', '', { body });
    const cases: Array<[unknown, number]> = [
      [{ resourceType: 'Patient' }, 400],
      [{ resourceType: 'Bundle', type: 'collection', entry: [] }, 400],
      [{ resourceType: 'Bundle', type: 'transaction', entry: {} }, 400],
      [{ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient('x') }] }, 400],
      [{ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'TRACE', url: 'Patient' } }] }, 400],
      [{ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient' } }] }, 400],
      [{ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: 'http://elsewhere.example/Patient/1' } }] }, 400],
      [{ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: weight('urn:uuid:nowhere'), request: { method: 'POST', url: 'Observation' } }] }, 400],
      [
        {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { request: { method: 'DELETE', url: 'Patient/same' } },
            { resource: { ...patient('y'), id: 'same' }, request: { method: 'PUT', url: 'Patient/same' } },
          ],
        },
        400,
      ],
      [{ resourceType: 'Bundle', type: 'batch', entry: Array.from({ length: 1001 }, () => ({ request: { method: 'GET', url: 'metadata' } })) }, 413],
      // Circular conditional references: each entry's reference names the other's identifier, and
      // conditional references resolve against what is stored before the transaction, so neither resolves.
      [
        {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { resource: { ...patient('circ-a'), link: [{ type: 'seealso', other: { reference: 'Patient?identifier=urn:mrn|circ-b' } }] }, request: { method: 'POST', url: 'Patient' } },
            { resource: { ...patient('circ-b'), link: [{ type: 'seealso', other: { reference: 'Patient?identifier=urn:mrn|circ-a' } }] }, request: { method: 'POST', url: 'Patient' } },
          ],
        },
        422,
      ],
      [{ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: weight('Patient?nickname=x'), request: { method: 'POST', url: 'Observation' } }] }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await send(body);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 120)} → ${res.text}`);
      assert.equal(res.json.resourceType, 'OperationOutcome');
    }
    assert.equal(await everything(), before);
  });
});

describe('batch', () => {
  test('entries succeed or fail on their own', async () => {
    const res = await file.fhir('POST', '', {
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: patient('batch-1'), request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Patient', active: 'yes' }, request: { method: 'POST', url: 'Patient' } },
          { request: { method: 'GET', url: 'Patient/batch-missing' } },
          { request: { method: 'HEAD', url: 'metadata' } },
        ],
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.type, 'batch-response');
    const [ok, bad, missing, head] = res.json.entry as Entry[];
    assert.equal(ok?.response.status, '201 Created');
    assert.ok(ok?.response.location?.includes('/Patient/'));
    assert.equal(bad?.response.status, '400 Bad Request');
    assert.match(bad?.response.outcome?.issue[0]?.diagnostics ?? '', /boolean/);
    assert.equal(missing?.response.status, '404 Not Found');
    assert.equal(head?.response.status, '200 OK');
    assert.equal(head?.resource, undefined, 'HEAD returns no body');
    assert.equal((await file.fhir('GET', ok?.response.location?.replace(/^.*\/fhir/, '') ?? '')).status, 200);
  });
});

const synthea = new URL('../../shared/data/synthea/', import.meta.url);
test('a Synthea patient bundle loads as one transaction', { skip: !existsSync(synthea) && 'no ../shared/data/synthea here' }, async () => {
  const name = readdirSync(synthea).filter((f) => f.endsWith('.json.gz')).sort()[0] ?? '';
  const bundle = JSON.parse(gunzipSync(readFileSync(new URL(name, synthea))).toString('utf8')) as { entry: unknown[] };
  const res = await fetch(`${file.server.fhirBase}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
    body: JSON.stringify(bundle),
  });
  const body = (await res.json()) as { entry: Entry[] };
  assert.equal(res.status, 200, JSON.stringify(body).slice(0, 500));
  assert.equal(body.entry.length, bundle.entry.length);
  assert.ok(body.entry.every((e) => e.response.status === '201 Created'));
  const obsLocation = body.entry.map((e) => e.response.location ?? '').find((l) => l.includes('/Observation/')) ?? '';
  const obs = await file.fhir('GET', obsLocation.replace(/^.*\/fhir/, '').replace(/\/_history\/\d+$/, ''));
  const subject = obs.json.subject.reference as string;
  assert.match(subject, /^Patient\/[0-9a-f-]{36}$/);
  assert.equal((await file.fhir('GET', `/${subject}`)).status, 200, 'the rewritten reference points at the stored patient');
});
