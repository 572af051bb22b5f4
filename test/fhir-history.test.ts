import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverForThisFile } from './support/fhirkeep-server.js';

const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1' });

const obs = (value: number) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
});

test('history at instance, type and system level, newest first, with _since and paging', async () => {
  const a = await file.fhir('POST', '/Observation', { body: obs(70) });
  const id = a.json.id as string;
  await file.fhir('PUT', `/Observation/${id}`, { body: { ...obs(71), id } });
  const midpoint = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  await file.fhir('PUT', `/Observation/${id}`, { body: { ...obs(72), id } });
  await file.fhir('POST', '/Patient', { body: { resourceType: 'Patient' } });

  const instance = await file.fhir('GET', `/Observation/${id}/_history`);
  assert.equal(instance.status, 200);
  assert.equal(instance.json.type, 'history');
  assert.equal(instance.json.total, 3);
  assert.deepEqual(instance.json.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId), ['3', '2', '1']);
  assert.deepEqual(instance.json.entry.map((e: { request: { method: string } }) => e.request.method), ['PUT', 'PUT', 'POST']);
  assert.equal(instance.json.entry[0].fullUrl, `${file.server.fhirBase}/Observation/${id}`);
  assert.equal(instance.json.entry[0].response.etag, 'W/"3"');

  const since = await file.fhir('GET', `/Observation/${id}/_history?_since=${encodeURIComponent(midpoint)}`);
  assert.equal(since.json.total, 1);

  const type = await file.fhir('GET', '/Observation/_history');
  assert.equal(type.json.total, 3);
  assert.ok(type.json.entry.every((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Observation'));

  const system = await file.fhir('GET', '/_history');
  assert.equal(system.json.total, 4);
  assert.equal(system.json.entry[0].resource.resourceType, 'Patient');

  const firstOfTwo = await file.fhir('GET', '/_history?_count=2');
  assert.equal(firstOfTwo.json.total, undefined, 'no costly count for a type/system page that is not the whole answer');
  const instancePage = await file.fhir('GET', `/Observation/${id}/_history?_count=1`);
  assert.equal(instancePage.json.total, 3, 'one resource: always counted');

  // Walk the system history two at a time by following `next` links.
  const seen: string[] = [];
  let url: string | undefined = `${file.server.fhirBase}/_history?_count=2`;
  while (url !== undefined) {
    const page = await file.fhir('GET', url.slice(file.server.fhirBase.length));
    assert.ok(page.json.entry.length <= 2);
    for (const e of page.json.entry) seen.push(`${e.resource.resourceType}/${e.resource.id}/${e.resource.meta.versionId}`);
    url = page.json.link.find((l: { relation: string }) => l.relation === 'next')?.url;
  }
  assert.equal(seen.length, 4);
  assert.equal(new Set(seen).size, 4, 'no version twice across pages');
});

test('instance history of an unknown resource is 404', async () => {
  assert.equal((await file.fhir('GET', '/Observation/nope/_history')).status, 404);
});

test('_count above the cap is clamped, not refused', async () => {
  const res = await file.fhir('GET', '/_history?_count=100000');
  assert.equal(res.status, 200);
});
