import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fhirInteraction } from './fhir-interaction.js';

test('every FHIR interaction by method and path shape, ignoring types, ids and queries', () => {
  const cases: [string, string, string][] = [
    ['GET', '/fhir/metadata', 'capabilities'],
    ['GET', '/fhir/Patient/p-1', 'read'],
    ['GET', '/fhir/Observation/o.9?_elements=code', 'read'],
    ['GET', '/fhir/Patient/p-1/_history/3', 'vread'],
    ['PUT', '/fhir/Patient/p-1', 'update'],
    ['PATCH', '/fhir/Patient/p-1', 'patch'],
    ['DELETE', '/fhir/Patient/p-1', 'delete'],
    ['GET', '/fhir/Patient/p-1/_history', 'history-instance'],
    ['GET', '/fhir/Patient/_history', 'history-type'],
    ['GET', '/fhir/_history', 'history-system'],
    ['POST', '/fhir/Patient', 'create'],
    ['GET', '/fhir/Patient?name=Smith&birthdate=1970-01-01', 'search-type'],
    ['POST', '/fhir/Patient/_search', 'search-type'],
    ['GET', '/fhir?_type=Patient', 'search-system'],
    ['GET', '/fhir/', 'search-system'],
    ['POST', '/fhir', 'batch-transaction'],
    ['PUT', '/fhir/Patient?identifier=x|1', 'conditional-update'],
    ['DELETE', '/fhir/Patient?identifier=x|1', 'conditional-delete'],
    ['GET', '/fhir/$export', 'operation-export'],
    ['POST', '/fhir/Patient/$export', 'operation-export'],
    ['GET', '/fhir/Group/g1/$export?_type=Patient', 'operation-export'],
    ['GET', '/fhir/Patient/p-1/$everything', 'operation-everything'],
    ['GET', '/fhir/DocumentReference/$docref?patient=p-1', 'operation-docref'],
    ['GET', '/fhir/Patient/p-1/$made-up', 'operation-other'],
    ['GET', '/fhir/$made-up', 'operation-other'],
  ];
  for (const [method, url, interaction] of cases) assert.equal(fhirInteraction(method, url), interaction, `${method} ${url}`);
});

test('shapes the router refuses are "other": the label set stays bounded whatever the URL', () => {
  for (const [method, url] of [
    ['PATCH', '/fhir/Patient'],
    ['POST', '/fhir/Patient/p-1'],
    ['DELETE', '/fhir/metadata'],
    ['GET', '/fhir/metadata/extra'],
    ['GET', '/fhir/Patient/p-1/_history/3/more'],
    ['GET', '/fhir/a/b/c/d/e/f'],
    ['PUT', '/fhir'],
    ['GET', '/fhir/Patient/_search'],
    ['GET', '/fhir/Patient/p-1/elsewhere'],
  ]) {
    assert.equal(fhirInteraction(method ?? '', url ?? ''), 'other', `${method} ${url}`);
  }
  const labels = new Set(Array.from({ length: 500 }, (_, i) => fhirInteraction(['GET', 'POST', 'PUT', 'X'][i % 4] ?? '', `/fhir/${'T'.repeat(i % 7)}/${i}/${i % 3 === 0 ? '$op' + i : '_history'}?q=${i}`)));
  assert.ok(labels.size <= 4, [...labels].join());
});
