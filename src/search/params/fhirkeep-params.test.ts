import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AREA_CODE_EXTENSION } from '../../fhir/area-code.js';
import { createIndexer } from '../index/indexer.js';
import { AREA_CODE_PARAM } from './fhirkeep-params.js';
import { r4ParamRegistry } from './param-registry.js';

test("Patient.area-code indexes the addresses' area codes as tokens, and is no alias of R4's parameters", () => {
  const registry = r4ParamRegistry();
  const param = registry.forType('Patient')?.get('area-code');
  assert.equal(param?.key, AREA_CODE_PARAM);
  for (const p of registry.forType('Patient')?.values() ?? []) assert.ok(!(p.aliasOf ?? []).includes(AREA_CODE_PARAM), p.code);
  const rows = createIndexer(registry)({
    resourceType: 'Patient',
    id: 'p1',
    address: [{ extension: [{ url: AREA_CODE_EXTENSION, valueCode: '30261801' }] }, { district: '4011' }, { district: 'Dhaka' }],
  }).search_token.filter((r) => r.param === AREA_CODE_PARAM);
  assert.deepEqual(rows.map((r) => r.code).sort(), ['30261801', '4011']);
  assert.ok(rows.every((r) => r.system === null));
  assert.equal(registry.forType('Observation')?.get('area-code'), undefined);
});
