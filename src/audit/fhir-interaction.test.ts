import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FhirMethod } from '../rest/fhir-request.js';
import { interactionOf } from './fhir-interaction.js';

test('each request shape the router answers is classified as its interaction, with its action and resource', () => {
  const cases: [FhirMethod, string, string | undefined, string | undefined, string | undefined][] = [
    ['GET', '', 'search-system', 'R', undefined],
    ['POST', '', 'bundle', 'E', undefined],
    ['GET', '_history', 'history-system', 'R', undefined],
    ['POST', '$export', 'export', 'E', undefined],
    ['GET', 'Patient', 'search-type', 'R', undefined],
    ['POST', 'Patient', 'create', 'C', undefined],
    ['PUT', 'Patient', 'update', 'U', undefined],
    ['DELETE', 'Patient', 'delete', 'D', undefined],
    ['GET', 'Patient/_history', 'history-type', 'R', undefined],
    ['POST', 'Patient/_search', 'search-type', 'R', undefined],
    ['GET', 'Patient/$export', 'export', 'E', undefined],
    ['GET', 'DocumentReference/$docref', 'docref', 'R', undefined],
    ['GET', 'Patient/1', 'read', 'R', 'Patient/1'],
    ['PUT', 'Patient/1', 'update', 'U', 'Patient/1'],
    ['PATCH', 'Patient/1', 'patch', 'U', 'Patient/1'],
    ['DELETE', 'Patient/1', 'delete', 'D', 'Patient/1'],
    ['GET', 'Patient/1/_history', 'history-instance', 'R', 'Patient/1'],
    ['GET', 'Patient/1/_history/2', 'vread', 'R', 'Patient/1'],
    ['GET', 'Patient/1/$everything', 'everything', 'R', 'Patient/1'],
    ['POST', 'Group/g/$export', 'export', 'E', 'Group/g'],
  ];
  for (const [method, path, subtype, action, entity] of cases) {
    assert.deepEqual(interactionOf(method, path), { subtype, action, ...(entity === undefined ? {} : { entity }) }, `${method} /${path}`);
  }
});

test('the CapabilityStatement is not audited: it reads no data', () => {
  assert.equal(interactionOf('GET', 'metadata'), undefined);
});
