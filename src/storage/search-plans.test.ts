import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemScope } from '../access/scope.js';
import { loadDefinitions } from '../fhir/definitions.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { SEARCH_DATASET } from '../../test/fixtures/search-dataset.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { searchQuery } from '../../test/support/search-query.js';
import { createResourceStore } from './resource-store.js';
import { searchPageSql } from './search-runner.js';
import { render } from '../search/sql/sql-text.js';

let testDb: TestDatabase;
const scope = systemScope('plan test');

before(async () => {
  testDb = await createTestDatabase();
  const store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  for (const r of SEARCH_DATASET) await store.update(scope, r.resourceType, r.id as string, r);
  await testDb.db.sql`analyze`;
});
after(() => testDb.drop());

/** A value of the right syntax for each parameter type; the plan, not the answer, is under test. */
const SAMPLE: Readonly<Record<string, string>> = {
  token: 'http://loinc.org|8302-2',
  string: 'mul',
  date: 'ge2020-01-01',
  reference: 'Patient/p1',
  uri: 'http://example.org/x',
  quantity: 'gt5',
  number: 'gt5',
};

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' ? [node['Relation Name'] ?? '?'] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** Every search (and combination) the US Core 3.1.1 server CapabilityStatement lists, as a query string. */
function usCoreShapes(): { type: string; query: string }[] {
  const { usCore } = loadDefinitions();
  const registry = r4ParamRegistry();
  const shapes: { type: string; query: string }[] = [];
  for (const [type, resource] of Object.entries(usCore.server)) {
    const params = registry.forType(type);
    const value = (code: string): string => {
      if (code === '_id') return 'p1';
      const p = params?.get(code);
      if (p === undefined) throw new Error(`US Core lists ${type}?${code}, which the registry lacks`);
      return SAMPLE[p.type] ?? 'x';
    };
    for (const p of resource.searchParams) shapes.push({ type, query: `${p.code}=${encodeURIComponent(value(p.code))}` });
    for (const c of resource.combinations) shapes.push({ type, query: c.params.map((code) => `${code}=${encodeURIComponent(value(code))}`).join('&') });
  }
  return shapes;
}

test('every US Core 3.1.1 search shape is an index lookup: no sequential scan even where the planner would like one', async () => {
  const shapes = usCoreShapes();
  assert.ok(shapes.length > 60, `${shapes.length} shapes`);
  const failures: string[] = [];
  await testDb.db.sql.begin(async (tx) => {
    // With sequential scans priced out, one still in the plan means no index can answer the query.
    await tx`set local enable_seqscan = off`;
    for (const { type, query } of shapes) {
      const page = render(searchPageSql(scope, searchQuery(type, query, 20)));
      const [row] = (await tx.unsafe(`explain (format json) ${page.text}`, page.params as never[])) as unknown as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
      const plan = row?.['QUERY PLAN'][0]?.Plan;
      if (plan === undefined) throw new Error(`no plan for ${type}?${query}`);
      const scans = seqScans(plan);
      if (scans.length > 0) failures.push(`${type}?${query}: sequential scan of ${scans.join(', ')}`);
    }
  });
  assert.deepEqual(failures, []);
});

test('a search for one patient starts from that patient’s rows and probes the rest', async () => {
  const page = render(searchPageSql(scope, searchQuery('Observation', 'patient=p1&category=laboratory&date=ge2020', 20)));
  const text = await testDb.db.sql.begin(async (tx) => {
    await tx`set local enable_seqscan = off`;
    const rows = (await tx.unsafe(`explain (format text) ${page.text}`, page.params as never[])) as unknown as { 'QUERY PLAN': string }[];
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  assert.match(text, /CTE Scan on d/);
  assert.match(text, /search_reference_lookup/);
  assert.match(text, /search_token_rid/, 'category is probed per driver row, not hashed whole');
});
