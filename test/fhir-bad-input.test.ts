import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HttpResult } from './support/http.js';
import { serverForThisFile } from './support/fhirkeep-server.js';

const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_BODY_LIMIT: '200000' });

/** Everything ever written, counted from the system history: bad input must not move it. */
async function versionsWritten(): Promise<number> {
  const res = await file.fhir('GET', '/_history?_count=1000');
  assert.equal(res.status, 200);
  return (res.json.entry ?? []).length as number;
}

function assertOutcome(res: HttpResult, status: number, issueCode?: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.resourceType, 'OperationOutcome', res.text);
  assert.match(res.headers.get('content-type') ?? '', /json/);
  if (issueCode !== undefined) assert.equal(res.json.issue[0].code, issueCode);
}

describe('bad input gets a 4xx OperationOutcome and writes nothing', () => {
  const ct = { 'content-type': 'application/fhir+json' };
  const cases: Array<{ name: string; method: string; path: string; raw: string; headers?: Record<string, string>; status: number }> = [
    { name: 'malformed JSON', method: 'POST', path: '/Patient', raw: '{"resourceType":"Patient",', status: 400 },
    { name: 'empty body', method: 'POST', path: '/Patient', raw: '', status: 400 },
    { name: 'JSON that is not an object', method: 'POST', path: '/Patient', raw: '[1,2]', status: 400 },
    { name: 'wrong resourceType', method: 'POST', path: '/Patient', raw: '{"resourceType":"Observation","status":"final","code":{"text":"x"}}', status: 400 },
    { name: 'unknown resourceType', method: 'POST', path: '/Patient', raw: '{"resourceType":"Pateint"}', status: 400 },
    { name: 'missing resourceType', method: 'POST', path: '/Patient', raw: '{"gender":"male"}', status: 400 },
    { name: 'wrong type of a field', method: 'POST', path: '/Patient', raw: '{"resourceType":"Patient","active":"yes"}', status: 400 },
    { name: 'unknown field', method: 'POST', path: '/Patient', raw: '{"resourceType":"Patient","favouriteColour":"blue"}', status: 400 },
    { name: 'bad date', method: 'POST', path: '/Patient', raw: '{"resourceType":"Patient","birthDate":"1974-13-45"}', status: 400 },
    { name: 'SQL-ish string where a code belongs', method: 'POST', path: '/Patient', raw: `{"resourceType":"Patient","gender":"male'; DROP TABLE resources; --"}`, status: 400 },
    { name: 'unknown type in the URL', method: 'POST', path: '/Pateint', raw: '{"resourceType":"Patient"}', status: 404 },
    { name: 'id in URL differs from body', method: 'PUT', path: '/Patient/a1', raw: '{"resourceType":"Patient","id":"b2"}', status: 400 },
    { name: 'invalid id in URL', method: 'PUT', path: '/Patient/a_b', raw: '{"resourceType":"Patient","id":"a_b"}', status: 400 },
    { name: 'invalid id in body', method: 'PUT', path: '/Patient/ok', raw: '{"resourceType":"Patient","id":"not ok"}', status: 400 },
    { name: 'XML body', method: 'POST', path: '/Patient', raw: '<Patient xmlns="http://hl7.org/fhir"/>', headers: { 'content-type': 'application/fhir+xml' }, status: 415 },
    { name: 'text body', method: 'POST', path: '/Patient', raw: 'hello', headers: { 'content-type': 'text/plain' }, status: 415 },
    { name: 'no content type', method: 'POST', path: '/Patient', raw: '{"resourceType":"Patient"}', headers: { 'content-type': '' }, status: 415 },
    { name: 'another FHIR version', method: 'POST', path: '/Patient', raw: '{"resourceType":"Patient"}', headers: { 'content-type': 'application/fhir+json; fhirVersion=3.0' }, status: 415 },
    { name: 'a NUL character in a string', method: 'POST', path: '/Patient', raw: '{"resourceType":"Patient","name":[{"text":"a\\u0000b"}]}', status: 400 },
    {
      name: 'nesting thousands of levels deep',
      method: 'POST',
      path: '/Patient',
      raw: `{"resourceType":"Patient","extension":[${'{"url":"http://x","extension":['.repeat(5000)}{"url":"http://x","valueString":"a"}${']}'.repeat(5000)}]}`,
      status: 400,
    },
    { name: 'body over the limit', method: 'POST', path: '/Patient', raw: JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(300000) }] }), status: 413 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const before = await versionsWritten();
      const res = await file.fhir(c.method, c.path, { raw: c.raw, headers: { ...ct, ...c.headers } });
      assertOutcome(res, c.status);
      assert.equal(await versionsWritten(), before, 'nothing was written');
    });
  }

  test('a schema violation lists every failing path', async () => {
    const res = await file.fhir('POST', '/Patient', {
      raw: JSON.stringify({ resourceType: 'Patient', active: 'yes', gender: 7, name: [{ given: 'Peter' }] }),
      headers: ct,
    });
    assertOutcome(res, 400);
    const paths = res.json.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
    for (const p of ['Patient.active', 'Patient.gender', 'Patient.name[0].given']) {
      assert.ok(paths.includes(p), `${p} missing from ${JSON.stringify(paths)}`);
    }
  });

  test('bad history parameters', async () => {
    assertOutcome(await file.fhir('GET', '/_history?_since=yesterday'), 400);
    assertOutcome(await file.fhir('GET', '/_history?_since=2023-02-30'), 400);
    assertOutcome(await file.fhir('GET', '/_history?_count=-1'), 400);
    assertOutcome(await file.fhir('GET', '/_history?_count=ten'), 400);
    assertOutcome(await file.fhir('GET', '/_history?_sort=name'), 400);
    assertOutcome(await file.fhir('GET', '/_history?_cursor=garbage'), 400);
  });

  test('methods a path does not offer are 405 with Allow', async () => {
    const res = await file.fhir('DELETE', '/metadata');
    assertOutcome(res, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });

  test('NUL in search criteria is 400, not a database error', async () => {
    assertOutcome(await file.fhir('DELETE', '/Patient?identifier=a%00b'), 400);
    assertOutcome(await file.fhir('GET', '/Patient/%00'), 400);
  });

  test('a malformed percent-encoding in the path is 400', async () => {
    assertOutcome(await file.fhir('GET', '/Patient/%E0%A4%A'), 400);
  });

  test('unknown paths outside FHIR are 404 OperationOutcomes', async () => {
    const res = await fetch(`${file.server.baseUrl}/nothing-here`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
  });
});
