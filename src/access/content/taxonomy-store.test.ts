import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { loadDefinitions } from '../../fhir/definitions.js';
import { createIndexer } from '../../search/index/indexer.js';
import { r4ParamRegistry } from '../../search/params/param-registry.js';
import { deleteContentType, insertContentType } from '../../storage/content/taxonomy-writes.js';
import { createResourceStore } from '../../storage/resource-store.js';
import type { ResourceStore } from '../../storage/types.js';
import { systemScope } from '../scope.js';
import { createClassifier } from './classify.js';
import { seedTaxonomy } from './seed-taxonomy.js';
import { openTaxonomy, type LiveTaxonomy } from './taxonomy-store.js';

let testDb: TestDatabase;
let taxonomy: LiveTaxonomy;
/** Another node: its own connections, so changes reach this one only through NOTIFY. */
let otherNode: postgres.Sql;
let store: ResourceStore;
const scope = systemScope('test');

before(async () => {
  testDb = await createTestDatabase();
  assert.equal(await seedTaxonomy(testDb.db.sql, loadDefinitions().resourceTypes), true);
  taxonomy = await openTaxonomy(testDb.db.sql, pino({ level: 'silent' }));
  otherNode = postgres(testDb.url, { onnotice: () => {} });
  store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), createClassifier(taxonomy, { autoRegister: true }));
});
after(async () => {
  await taxonomy.close();
  await otherNode.end();
  await testDb.drop();
});

/** Resolves once `holds()` (a NOTIFY arrived and the taxonomy reloaded), or fails after two seconds. */
async function eventually(holds: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !holds(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(holds(), 'the taxonomy did not reload');
}

test('the seed: vital signs, labs, conditions, resource types as their own content, a group tree', () => {
  assert.equal(taxonomy.contentOfCode('http://loinc.org|29463-7'), 'body/weight');
  assert.equal(taxonomy.contentOfCode('http://loinc.org|55284-4'), 'body/bloodpressure');
  assert.equal(taxonomy.contentOfCode('http://snomed.info/sct|44054006'), 'condition/diabetes-type-2');
  assert.equal(taxonomy.content('AllergyIntolerance')?.resourceType, 'AllergyIntolerance');
  assert.equal(taxonomy.content('Patient')?.label, 'Patient');
  assert.ok(taxonomy.groupContents('v1', 'laboratory', []).has('lab/hdl'));
  assert.ok(!taxonomy.groupContents('v1', 'laboratory', ['lipids']).has('lab/hdl'));
  assert.ok(taxonomy.hasGroup('v1', 'dynamic'));
  assert.equal(taxonomy.search('blood pressure', 5)[0]?.name, 'body/bloodpressure');
});

test('every seeded code maps to a content type of the right kind, each code once', () => {
  for (const c of taxonomy.contents()) {
    for (const code of taxonomy.codesOf(c.name)) assert.equal(taxonomy.contentOfCode(code.coding), c.name);
    assert.match(c.name, /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*$/);
  }
});

test('a seed applies once per version: what an admin deleted stays deleted', async () => {
  await deleteContentType(testDb.db.sql, 'body/waist');
  assert.equal(await seedTaxonomy(testDb.db.sql, ['Patient']), false);
  const [row] = await testDb.db.sql`select count(*)::int as n from content_types where name = 'body/waist'`;
  assert.equal(row?.n, 0);
});

test('a change made through another connection reaches the snapshot by NOTIFY, with a new epoch', async () => {
  const epoch = taxonomy.epoch;
  await insertContentType(otherNode, { name: 'test/mood', resourceType: 'Observation', label: 'Mood', codes: [{ system: 'urn:test', code: 'mood' }] });
  await eventually(() => taxonomy.contentOfCode('urn:test|mood') === 'test/mood');
  assert.ok(taxonomy.epoch > epoch);
  assert.deepEqual(taxonomy.search('mood', 5).map((c) => c.name), ['test/mood']);
});

test('writes record the content type and the primary codes: create, update, many', async () => {
  const weight = { resourceType: 'Observation', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] } };
  const v = await store.create(scope, weight);
  const row = async (type: string, id: string) =>
    (await testDb.db.sql<{ content_type: string; codes: string[] }[]>`select content_type, codes from resources where type = ${type} and id = ${id}`)[0];
  assert.deepEqual({ ...(await row('Observation', v.id)) }, { content_type: 'body/weight', codes: ['http://loinc.org|29463-7'] });
  await store.update(scope, 'Observation', v.id, { ...weight, id: v.id, code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] } });
  assert.equal((await row('Observation', v.id))?.content_type, 'body/height');
  const [a, b] = await store.createMany(scope, [
    { id: 'many-1', resource: { resourceType: 'Immunization', vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140' }] } } },
    { id: 'many-2', resource: { resourceType: 'Patient' } },
  ]);
  assert.equal((await row('Immunization', a?.id ?? ''))?.content_type, 'vaccine/influenza');
  assert.deepEqual({ ...(await row('Patient', b?.id ?? '')) }, { content_type: 'Patient', codes: [] });
  await assert.rejects(
    store.create(scope, { resourceType: 'Observation', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }, { system: 'http://loinc.org', code: '8302-2' }] } }),
    (e: { status?: number }) => e.status === 422,
  );
});

test('auto-register: an unknown code is registered as a dynamic content type in group dynamic, once', async () => {
  const odd = { resourceType: 'Observation', code: { coding: [{ system: 'http://loinc.org', code: '99999-9', display: 'Odd measure' }] } };
  // Two writes before the NOTIFY lands: both derive the same name, the second registers nothing.
  const [x, y] = await Promise.all([store.create(scope, odd), store.create(scope, odd)]);
  await eventually(() => taxonomy.content('loinc/99999-9') !== undefined);
  assert.deepEqual(taxonomy.content('loinc/99999-9'), { name: 'loinc/99999-9', resourceType: 'Observation', label: 'Odd measure', dynamic: true });
  assert.equal(taxonomy.contentOfCode('http://loinc.org|99999-9'), 'loinc/99999-9');
  assert.ok(taxonomy.groupContents('v1', 'dynamic', []).has('loinc/99999-9'));
  const rows = await testDb.db.sql<{ content_type: string }[]>`select content_type from resources where id in (${x.id}, ${y.id})`;
  assert.deepEqual(rows.map((r) => r.content_type), ['loinc/99999-9', 'loinc/99999-9']);
  // A transaction that fails registers nothing.
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.create(scope, { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '57427004' }] } });
      throw new Error('roll back');
    }),
  );
  const [n] = await testDb.db.sql`select count(*)::int as n from content_types where name = 'snomed/57427004'`;
  assert.equal(n?.n, 0);
});
