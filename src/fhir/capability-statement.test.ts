import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCapabilityStatement } from './capability-statement.js';
import { loadDefinitions } from './definitions.js';
import { validateResource } from './validator.js';

test('the CapabilityStatement lists every R4 type and is itself valid R4', () => {
  const { resourceTypes } = loadDefinitions();
  const cs = buildCapabilityStatement({ baseUrl: 'http://x/fhir', softwareVersion: '1.0.0', resourceTypes, date: new Date() });
  const outcome = validateResource(cs);
  assert.ok(outcome.ok, JSON.stringify(outcome));
  const rest = (cs.rest as { resource: { type: string }[] }[])[0];
  assert.equal(rest?.resource.length, resourceTypes.size);
  assert.ok(rest?.resource.some((r) => r.type === 'Observation'));
});
