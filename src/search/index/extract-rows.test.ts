import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadDefinitions } from '../../fhir/definitions.js';
import type { FhirResource } from '../../storage/types.js';
import { buildParamRegistry } from '../params/param-registry.js';
import { paramKey } from '../params/param-key.js';
import { createIndexer } from './indexer.js';
import { SAMPLE_RESOURCES } from '../../../test/fixtures/sample-resources.js';

const compiled = createIndexer(buildParamRegistry(loadDefinitions(), 'compiled'));
const reference = createIndexer(buildParamRegistry(loadDefinitions(), 'fhirpath'));
const synthea = fileURLToPath(new URL('../../../../shared/data/synthea', import.meta.url));

test('most expressions compile to direct accessors', () => {
  const { stats } = buildParamRegistry(loadDefinitions(), 'compiled');
  assert.ok(stats.compiled > 10 * stats.fhirpath, JSON.stringify(stats));
});

test('compiled accessors and the fhirpath engine give identical rows for the sample resources', () => {
  for (const resource of SAMPLE_RESOURCES) assert.deepEqual(compiled(resource), reference(resource), `${resource.resourceType}/${resource.id}`);
});

test('compiled accessors and the fhirpath engine give identical rows for Synthea data', { skip: !existsSync(synthea) && 'no ../shared/data/synthea' }, () => {
  let n = 0;
  for (const file of readdirSync(synthea).filter((f) => f.endsWith('.json.gz')).slice(0, 5)) {
    const bundle = JSON.parse(gunzipSync(readFileSync(join(synthea, file))).toString('utf8')) as { entry: { resource: FhirResource }[] };
    for (const { resource } of bundle.entry) {
      assert.deepEqual(compiled(resource), reference(resource), `${file}: ${resource.resourceType}`);
      n++;
    }
  }
  assert.ok(n > 1000, `${n} resources compared`);
});

const key = (type: string, code: string): number => paramKey(type, code);

test('an Observation indexes its code, category, subject, date, value and composites', () => {
  const obs = SAMPLE_RESOURCES.find((r) => r.id === 'bp') as FhirResource;
  const rows = compiled(obs);
  const tokens = rows.search_token.rows.filter((_, i) => rows.search_token.params[i] === key('Observation', 'code'));
  assert.deepEqual(tokens.map((t) => `${t.system}|${t.code}`).sort(), ['http://loinc.org|85354-9', 'null|null']);
  const subject = rows.search_reference.rows.filter((_, i) => rows.search_reference.params[i] === key('Observation', 'patient'));
  assert.deepEqual(subject, [{ target_type: 'Patient', target_id: 'p1', url: null, id_system: null, id_value: null }]);
  const date = rows.search_date.rows.filter((_, i) => rows.search_date.params[i] === key('Observation', 'date'));
  assert.deepEqual(date, [{ lo: '2020-03-04T10:00:00.000Z', hi: '2020-03-04T10:00:00.999Z' }]);
  const comp = rows.search_composite.rows.filter((_, i) => rows.search_composite.params[i] === key('Observation', 'component-code-value-quantity'));
  assert.deepEqual(comp.map((c) => `${c.code}=${c.v_lo}${c.v_code}`).sort(), ['8462-4=82mm[Hg]', '8480-6=121mm[Hg]']);
});

test('a Patient indexes every name part, folded, and the exact text', () => {
  const patient = SAMPLE_RESOURCES.find((r) => r.id === 'p1') as FhirResource;
  const rows = compiled(patient);
  const names = rows.search_string.rows.filter((_, i) => rows.search_string.params[i] === key('Patient', 'name'));
  assert.deepEqual(names.map((n) => n.norm).sort(), ['jose', 'muller', 'smith-muller']);
  assert.ok(names.some((n) => n.exact === 'Müller'));
  const birth = rows.search_date.rows.filter((_, i) => rows.search_date.params[i] === key('Patient', 'birthdate'));
  assert.deepEqual(birth, [{ lo: '1980-02-01T00:00:00.000Z', hi: '1980-02-29T23:59:59.999Z' }]);
});
