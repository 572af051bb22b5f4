import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serverForThisFile } from './support/fhirkeep-server.js';
import type { HttpResult } from './support/http.js';

/** Each limit set low enough to reach with a small request, so every refusal is seen over HTTP. */
const file = serverForThisFile({
  FHIRKEEP_DEV_NO_AUTH: '1',
  FHIRKEEP_BODY_LIMIT: '20000',
  FHIRKEEP_MAX_JSON_DEPTH: '20',
  FHIRKEEP_MAX_COUNT: '3',
  FHIRKEEP_DEFAULT_COUNT: '2',
  FHIRKEEP_MAX_BUNDLE_ENTRIES: '5',
  FHIRKEEP_MAX_SEARCH_CLAUSES: '4',
  FHIRKEEP_MAX_OR_VALUES: '3',
  FHIRKEEP_MAX_INCLUDES: '2',
  FHIRKEEP_MAX_CHAIN_DEPTH: '1',
});

function assertRefused(res: HttpResult, status: number, diagnostics: RegExp, issue?: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json.resourceType, 'OperationOutcome');
  assert.match(res.json.issue[0].diagnostics, diagnostics);
  if (issue !== undefined) assert.equal(res.json.issue[0].code, issue);
}

const writes = async () => Number((await file.server.fhirkeep.database.sql<{ n: string }[]>`select count(*) as n from resource_history`)[0]?.n);
const ct = { 'content-type': 'application/fhir+json' };
/** A valid Patient whose extensions nest `levels` deep (each extension is an object in an array: two JSON levels). */
const nestedPatient = (levels: number): string => {
  let ext = '{"url":"http://example.org/x","valueString":"leaf"}';
  for (let i = 1; i < levels; i++) ext = `{"url":"http://example.org/x","extension":[${ext}]}`;
  return `{"resourceType":"Patient","extension":[${ext}]}`;
};

describe('JSON depth (FHIRKEEP_MAX_JSON_DEPTH=20)', () => {
  test('a body nested deeper is refused with 400 before it is parsed; writes nothing', async () => {
    const before = await writes();
    // 10 extensions deep: 1 (Patient) + 2 × 10 = 21 levels.
    assertRefused(await file.fhir('POST', '/Patient', { raw: nestedPatient(10), headers: ct }), 400, /more than 20 levels deep/, 'structure');
    assertRefused(await file.fhir('POST', '/', { raw: `{"resourceType":"Bundle","type":"batch","entry":[{"resource":${nestedPatient(9)},"request":{"method":"POST","url":"Patient"}}]}`, headers: ct }), 400, /more than 20 levels deep/);
    assertRefused(await file.fhir('PATCH', '/Patient/x', { raw: `[${'['.repeat(30)}${']'.repeat(30)}]`, headers: { 'content-type': 'application/json-patch+json' } }), 400, /levels deep/);
    assert.equal(await writes(), before);
  });

  test('a body within the limit goes on', async () => {
    assert.equal((await file.fhir('POST', '/Patient', { raw: nestedPatient(9), headers: ct })).status, 201);
  });

  test('the JSON API is guarded too, before authentication', async () => {
    const res = await fetch(`${file.server.baseUrl}/api/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '['.repeat(25) + ']'.repeat(25) });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics ?? '', /levels deep/);
  });
});

describe('body size, page size and bundle size', () => {
  test('a body over FHIRKEEP_BODY_LIMIT is 413', async () => {
    assertRefused(await file.fhir('POST', '/Patient', { raw: JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(30_000) }] }), headers: ct }), 413, /./, 'too-long');
  });

  test('_count above FHIRKEEP_MAX_COUNT is capped (R4 §3.1.1.5.6: a server may return fewer), and the next link pages on', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await file.fhir('POST', '/Observation', { body: { resourceType: 'Observation', status: 'final', code: { text: 'limit' } } })).status, 201);
    const page = await file.fhir('GET', '/Observation?code:text=limit&_count=1000');
    assert.equal(page.status, 200);
    assert.equal(page.json.entry.length, 3);
    assert.ok(page.json.link.some((l: { relation: string }) => l.relation === 'next'));
    assert.equal((await file.fhir('GET', '/Observation?code:text=limit')).json.entry.length, 2, 'FHIRKEEP_DEFAULT_COUNT without _count');
  });

  test('a bundle with more than FHIRKEEP_MAX_BUNDLE_ENTRIES entries is 413 and writes nothing', async () => {
    const before = await writes();
    const entry = Array.from({ length: 6 }, () => ({ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }));
    assertRefused(await file.fhir('POST', '/', { body: { resourceType: 'Bundle', type: 'transaction', entry } }), 413, /at most 5 entries/);
    assert.equal(await writes(), before);
  });
});

describe('search complexity', () => {
  const cases: [string, RegExp][] = [
    ['/Patient?name=a&family=b&given=c&gender=male&birthdate=2000', /at most 4 parameters/],
    ['/Patient?_id=a,b,c,d', /more than 3 values/],
    ['/Observation?_include=Observation:patient&_include=Observation:subject&_revinclude=Provenance:target', /at most 2 _include and _revinclude/],
    ['/Observation?subject:Patient.organization.name=x', /chains may be at most 1 levels deep/],
    ['/Patient?_has:Observation:patient:_has:Observation:patient:code=x', /_has may be nested at most 1 levels deep/],
  ];
  for (const [path, message] of cases) {
    test(path, async () => assertRefused(await file.fhir('GET', path), 400, message));
  }

  test('a URL past Node\'s 16 KiB header limit is refused (431) before Fastify sees it, bounding the parameters a query can carry', async () => {
    const res = await fetch(`${file.server.fhirBase}/Patient?${Array.from({ length: 3000 }, (_, i) => `p${i}=x`).join('&')}`);
    assert.equal(res.status, 431);
  });

  test('searches at the limits are answered', async () => {
    for (const path of ['/Patient?name=a&family=b&given=c&gender=male', '/Patient?_id=a,b,c', '/Observation?_include=Observation:patient&_revinclude=Provenance:target', '/Observation?subject:Patient.name=x']) {
      assert.equal((await file.fhir('GET', path)).status, 200, path);
    }
  });
});
