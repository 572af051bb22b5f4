import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createClassifier } from '../access/content/classify.js';
import { buildTaxonomy } from '../access/content/taxonomy-snapshot.js';
import { systemScope } from '../access/scope.js';
import { createIndexer, INDEXER_VERSION } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { SEARCH_DATASET } from '../../test/fixtures/search-dataset.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { searchQuery } from '../../test/support/search-query.js';
import { reindex, reindexIfStale } from './reindex.js';
import { createResourceStore } from './resource-store.js';
import type { ResourceStore } from './types.js';

let testDb: TestDatabase;
let store: ResourceStore;
const scope = systemScope('reindex test');
const indexer = createIndexer(r4ParamRegistry());
const silent = pino({ level: 'silent' });

before(async () => {
  testDb = await createTestDatabase();
  store = createResourceStore(testDb.db, indexer, typeOnlyClassifier);
  for (const r of SEARCH_DATASET) await store.update(scope, r.resourceType, r.id as string, r);
});
after(() => testDb.drop());

const found = async (type: string, q: string): Promise<string[]> => (await store.match(scope, searchQuery(type, q, 100))).sort();
const rowCount = async (): Promise<number> => Number((await testDb.db.sql<{ n: string }[]>`select (select count(*) from search_token) + (select count(*) from search_string) as n`)[0]?.n);

test('a full rebuild restores lost index rows and records the indexer version', async () => {
  const before = await rowCount();
  await testDb.db.sql`delete from search_token`;
  await testDb.db.sql`delete from search_string`;
  assert.deepEqual(await found('Observation', 'code=8302-2'), []);
  const done = await reindex(testDb.db, indexer, INDEXER_VERSION);
  assert.equal(done, SEARCH_DATASET.length);
  assert.equal(await rowCount(), before, 'the same rows as the writes made');
  assert.deepEqual(await found('Observation', 'code=8302-2'), ['o1', 'o2']);
  const [state] = await testDb.db.sql`select version, complete, done_rid from search_index_state`;
  assert.deepEqual({ ...state }, { version: INDEXER_VERSION, complete: true, done_rid: null });
});

test('a partial rebuild covers only the types named', async () => {
  await testDb.db.sql`delete from search_string`;
  assert.equal(await reindex(testDb.db, indexer, INDEXER_VERSION, { types: ['Patient'] }), SEARCH_DATASET.filter((r) => r.resourceType === 'Patient').length);
  assert.deepEqual(await found('Patient', 'name=muller'), ['p1', 'p2']);
  assert.deepEqual(await found('Organization', 'name=acme'), [], 'Organization was not rebuilt');
  await reindex(testDb.db, indexer, INDEXER_VERSION);
});

test('at start: nothing when current; an interrupted rebuild resumes; another version rebuilds', async () => {
  assert.equal(await rowCount() > 0, true);
  await testDb.db.sql`delete from search_token where rid = (select min(rid) from resources)`;
  await reindexIfStale(testDb.db, indexer, INDEXER_VERSION, silent);
  assert.equal(Number((await testDb.db.sql`select count(*) as n from search_token where rid = (select min(rid) from resources)`)[0]?.n), 0, 'a current index is left alone');

  // Interrupted after the first half: only resources after done_rid are rebuilt.
  const [mid] = await testDb.db.sql<{ rid: string }[]>`select rid from resources order by rid offset 10 limit 1`;
  await testDb.db.sql`update search_index_state set complete = false, done_rid = ${mid?.rid ?? '0'}::bigint`;
  await testDb.db.sql`delete from search_token`;
  await reindexIfStale(testDb.db, indexer, INDEXER_VERSION, silent);
  const rebuilt = await testDb.db.sql<{ rid: string }[]>`select distinct rid from search_token order by rid`;
  assert.ok(rebuilt.every((r) => BigInt(r.rid) > BigInt(mid?.rid ?? '0')), 'resumed after the recorded position');

  await testDb.db.sql`update search_index_state set version = ${INDEXER_VERSION - 1}`;
  await reindexIfStale(testDb.db, indexer, INDEXER_VERSION, silent);
  assert.deepEqual(await found('Observation', 'code=8302-2'), ['o1', 'o2']);
  const [state] = await testDb.db.sql`select version, complete from search_index_state`;
  assert.deepEqual({ ...state }, { version: INDEXER_VERSION, complete: true });
});

test('a rebuild with a classifier classifies records again (a record whose codes now conflict keeps its values)', async () => {
  const content = (name: string) => ({ name, resourceType: 'Observation', label: name, dynamic: false });
  const code = (c: string, contentType: string) => ({ system: 'http://loinc.org', code: c, contentType, display: null });
  const taxonomy = buildTaxonomy({ contentTypes: [content('body/height'), content('body/weight')], codes: [code('8302-2', 'body/height')], groups: [], members: [] }, 1);
  const contentOf = async (id: string) => (await testDb.db.sql`select content_type, codes from resources where type = 'Observation' and id = ${id}`)[0];
  assert.equal((await contentOf('o1'))?.content_type, 'Observation');
  await reindex(testDb.db, indexer, INDEXER_VERSION, { types: ['Observation'], classify: createClassifier(taxonomy, { autoRegister: false }) });
  assert.deepEqual({ ...(await contentOf('o1')) }, { content_type: 'body/height', codes: ['http://loinc.org|8302-2'] });

  const conflicting = await store.create(scope, { resourceType: 'Observation', code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }, { system: 'http://loinc.org', code: '29463-7' }] } });
  const both = buildTaxonomy({ contentTypes: [content('body/height'), content('body/weight')], codes: [code('8302-2', 'body/height'), code('29463-7', 'body/weight')], groups: [], members: [] }, 2);
  await reindex(testDb.db, indexer, INDEXER_VERSION, { types: ['Observation'], classify: createClassifier(both, { autoRegister: false }) });
  assert.equal((await contentOf(conflicting.id))?.content_type, 'Observation');
  await reindex(testDb.db, indexer, INDEXER_VERSION);
});
