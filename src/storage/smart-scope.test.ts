import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemScope, type AccessScope } from '../access/scope.js';
import { compileSmartScopes, isPermitted, type SmartDefinitions } from '../access/smart-access.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { isFhirkeepError } from '../errors/fhirkeep-error.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { render } from '../search/sql/sql-text.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { searchQuery } from '../../test/support/search-query.js';
import { smartDefinitions } from '../../test/support/smart-definitions.js';
import { createResourceStore } from './resource-store.js';
import { readCondition } from './scope-sql.js';
import { searchPageSql } from './search-runner.js';
import type { FhirResource, ResourceStore, StoredVersion } from './types.js';

let testDb: TestDatabase;
let store: ResourceStore;
const system = systemScope('smart scope test');
const defs = smartDefinitions();

/** The AccessScope a token with these scopes (and launch patient) gets. */
function smart(scopes: string, patient?: string): AccessScope {
  return { ...system, ...compileSmartScopes(parseScopeString(scopes), patient === undefined ? {} : { patient }, defs) };
}

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const LAB = `${CATEGORY}|laboratory`;
const observation = (id: string, patient: string, category: string, extra: Partial<FhirResource> = {}): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: [{ coding: [{ system: CATEGORY, code: category }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
  subject: { reference: `Patient/${patient}` },
  ...extra,
});

const DATA: readonly FhirResource[] = [
  { resourceType: 'Patient', id: 'p1', name: [{ family: 'Shared', given: ['One'] }], generalPractitioner: [{ reference: 'Practitioner/dr1' }] },
  { resourceType: 'Patient', id: 'p2', name: [{ family: 'Shared', given: ['Two'] }], generalPractitioner: [{ reference: 'Practitioner/dr1' }] },
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Doctor' }] },
  { resourceType: 'Organization', id: 'org1', name: 'Clinic' },
  { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } },
  observation('o1-lab', 'p1', 'laboratory', { encounter: { reference: 'Encounter/e1' }, performer: [{ reference: 'Practitioner/dr1' }] }),
  observation('o1-vital', 'p1', 'vital-signs'),
  observation('o2-lab', 'p2', 'laboratory', { performer: [{ reference: 'Practitioner/dr1' }] }),
  { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' }, category: [{ coding: [{ code: 'problem-list-item' }] }] },
  { resourceType: 'Condition', id: 'c2', subject: { reference: 'Patient/p2' }, category: [{ coding: [{ code: 'problem-list-item' }] }] },
];

before(async () => {
  testDb = await createTestDatabase();
  store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  for (const r of DATA) await store.update(system, r.resourceType, r.id as string, r);
});
after(() => testDb.drop());

const ids = (versions: readonly StoredVersion[]): string[] => versions.map((v) => `${v.type}/${v.id}`).sort();
async function found(scope: AccessScope, type: string, query = ''): Promise<string[]> {
  const page = await store.search(scope, searchQuery(type, query, 50));
  return ids([...page.matches, ...page.included]);
}
function forbidden(e: unknown): boolean {
  return isFhirkeepError(e) && e.code === 'forbidden';
}
async function count(type: string, id: string): Promise<number> {
  const [row] = await testDb.db.sql<{ n: number }[]>`select count(*)::int as n from resources where type = ${type} and id = ${id}`;
  return row?.n ?? 0;
}

describe('patient/ scopes reach the context patient compartment', () => {
  const p1 = smart('patient/*.rs', 'p1');

  test('searches return only that patient\'s resources', async () => {
    assert.deepEqual(await found(p1, 'Observation'), ['Observation/o1-lab', 'Observation/o1-vital']);
    assert.deepEqual(await found(p1, 'Condition'), ['Condition/c1']);
    assert.deepEqual(await found(p1, 'Patient'), ['Patient/p1']);
  });

  test('reads and vreads of another patient\'s resources find nothing; the patient\'s own do', async () => {
    assert.equal(await store.read(p1, 'Observation', 'o2-lab'), undefined);
    assert.equal(await store.read(p1, 'Patient', 'p2'), undefined);
    assert.equal(await store.vread(p1, 'Observation', 'o2-lab', 1), undefined);
    assert.equal((await store.read(p1, 'Observation', 'o1-lab'))?.id, 'o1-lab');
    assert.equal((await store.read(p1, 'Patient', 'p1'))?.id, 'p1');
  });

  test('types outside the Patient compartment are reference data, readable', async () => {
    assert.equal((await store.read(p1, 'Practitioner', 'dr1'))?.id, 'dr1');
    assert.deepEqual(await found(p1, 'Organization'), ['Organization/org1']);
  });

  test('_include and _revinclude add only what is in scope', async () => {
    assert.deepEqual(await found(p1, 'Observation', '_include=Observation:subject&_include=Observation:performer'), [
      'Observation/o1-lab',
      'Observation/o1-vital',
      'Patient/p1',
      'Practitioner/dr1',
    ]);
    assert.deepEqual(await found(smart('patient/*.rs', 'p2'), 'Practitioner', '_id=dr1&_revinclude=Observation:performer&_revinclude=Patient:general-practitioner'), [
      'Observation/o2-lab',
      'Patient/p2',
      'Practitioner/dr1',
    ]);
    // Patient has no scope here: the include adds nothing, not even p1.
    assert.deepEqual(await found(smart('patient/Observation.rs', 'p1'), 'Observation', '_include=Observation:subject'), ['Observation/o1-lab', 'Observation/o1-vital']);
  });

  test('chains and _has see only rows in scope', async () => {
    // Both patients are "Shared"; only p1's rows are reachable.
    assert.deepEqual(await found(p1, 'Condition', 'subject:Patient.family=Shared'), ['Condition/c1']);
    assert.deepEqual(await found(p1, 'Condition', 'subject:Patient.given=Two'), []);
    // Through a type without scope, a chain reaches nothing.
    assert.deepEqual(await found(smart('patient/Condition.rs', 'p1'), 'Condition', 'subject:Patient.family=Shared'), []);
    // p2 has a laboratory Observation, but it is outside p1's compartment.
    assert.deepEqual(await found(smart('user/Patient.rs patient/Observation.rs', 'p1'), 'Patient', `_has:Observation:subject:category=${LAB}`), ['Patient/p1']);
    assert.deepEqual(await found(smart('user/Patient.rs user/Observation.rs', 'p1'), 'Patient', `_has:Observation:subject:category=${LAB}`), ['Patient/p1', 'Patient/p2']);
  });

  test('history at every level is limited the same way', async () => {
    const typeHistory = await store.history(p1, { type: 'Observation', count: 50 });
    assert.deepEqual(ids(typeHistory.entries), ['Observation/o1-lab', 'Observation/o1-vital']);
    const systemHistory = await store.history(smart('patient/Observation.rs patient/Condition.rs', 'p1'), { count: 50 });
    assert.deepEqual(ids(systemHistory.entries), ['Condition/c1', 'Observation/o1-lab', 'Observation/o1-vital']);
    assert.deepEqual((await store.history(p1, { type: 'Observation', id: 'o2-lab', count: 50 })).entries, []);
  });

  test('without a launch patient, patient/ scopes reach no compartment row (reference data only)', async () => {
    const none = smart('patient/*.rs');
    assert.deepEqual(await found(none, 'Observation'), []);
    assert.deepEqual(await found(none, 'Patient'), []);
    assert.deepEqual(await found(none, 'Practitioner'), ['Practitioner/dr1']);
  });

  test('the condition is one indexed equality, a bound parameter, for a search of one compartment type', () => {
    const condition = readCondition(p1, 'r', { types: ['Observation'] });
    assert.equal(condition?.text, 'r.patient_id = \u0000');
    assert.deepEqual(condition?.values, ['p1']);
    const across = readCondition(p1, 'x');
    assert.ok(across !== undefined && !across.text.includes('p1') && across.text.includes('x.type = any('), across?.text);
  });

  test('a patient-scoped search of one type is a scan of the patient index', async () => {
    const page = render(searchPageSql(p1, searchQuery('Observation', `category=${LAB}`, 20)));
    await testDb.db.sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      const [row] = (await tx.unsafe(`explain (format json) ${page.text}`, page.params as never[])) as unknown as { 'QUERY PLAN': unknown }[];
      const plan = JSON.stringify(row?.['QUERY PLAN']);
      assert.doesNotMatch(plan, /Seq Scan/);
      assert.match(plan, /"Index Name":"resources_patient"/);
    });
  });
});

describe('user/ and system/ scopes gate types and interactions', () => {
  test('scopes of several levels add up: user/ wins over patient/ for its type', async () => {
    const both = smart('patient/Observation.rs user/Observation.rs', 'p1');
    assert.deepEqual(await found(both, 'Observation'), ['Observation/o1-lab', 'Observation/o1-vital', 'Observation/o2-lab']);
    assert.equal(readCondition(both, 'r', { types: ['Observation'] }), undefined, 'an unrestricted type adds no SQL');
  });

  test('every type with every interaction is no restriction at all', () => {
    assert.equal(readCondition(smart('system/*.cruds'), 'r'), undefined);
  });

  test('a type without a scope is not permitted and its rows are never reached', async () => {
    const obs = smart('user/Observation.rs');
    assert.equal(isPermitted(obs, 's', 'Condition'), false);
    assert.equal(isPermitted(obs, 'r', 'Observation'), true);
    assert.equal(isPermitted(obs, 'c', 'Observation'), false);
    assert.deepEqual(await found(obs, 'Condition'), []);
    assert.equal(await store.read(obs, 'Condition', 'c1'), undefined);
  });

  test('r without s: reads work, searches reach nothing', async () => {
    const readOnly = smart('user/Observation.r');
    assert.equal((await store.read(readOnly, 'Observation', 'o2-lab'))?.id, 'o2-lab');
    assert.deepEqual(await found(readOnly, 'Observation'), []);
    assert.equal((await store.history(readOnly, { type: 'Observation', id: 'o2-lab', count: 5 })).entries.length, 1);
  });
});

describe('granular scopes', () => {
  test('only rows matching the query are reached, by search and by read', async () => {
    const lab = smart(`patient/Observation.rs?category=${LAB} patient/Patient.rs`, 'p1');
    assert.deepEqual(await found(lab, 'Observation'), ['Observation/o1-lab']);
    assert.equal(await store.read(lab, 'Observation', 'o1-vital'), undefined);
    assert.deepEqual(await found(lab, 'Patient', `_revinclude=Observation:subject`), ['Observation/o1-lab', 'Patient/p1']);
    const condition = readCondition(lab, 'r');
    assert.ok(condition !== undefined && !condition.text.includes('laboratory') && condition.values.includes('laboratory'), 'values are parameters');
  });

  test('several granular scopes of a type add up; a plain one covers them', async () => {
    assert.deepEqual(await found(smart(`patient/Observation.rs?category=${LAB} patient/Observation.rs?category=${CATEGORY}|vital-signs`, 'p1'), 'Observation'), [
      'Observation/o1-lab',
      'Observation/o1-vital',
    ]);
    assert.deepEqual(await found(smart(`user/Observation.rs?category=${LAB}`), 'Observation'), ['Observation/o1-lab', 'Observation/o2-lab']);
    assert.deepEqual(await found(smart(`user/Observation.rs?category=${LAB} patient/Observation.rs`, 'p1'), 'Observation'), [
      'Observation/o1-lab',
      'Observation/o1-vital',
      'Observation/o2-lab',
    ]);
  });

  test('a wildcard granular scope reaches only types that have the parameter', async () => {
    const scope = smart('user/*.rs?category=problem-list-item');
    assert.deepEqual(await found(scope, 'Condition'), ['Condition/c1', 'Condition/c2']);
    assert.equal(isPermitted(scope, 's', 'Patient'), false);
  });

  test('a scope string is compiled once, not per request; the launch patient stays per token', () => {
    let parses = 0;
    const counting: SmartDefinitions = { ...defs, parseSearch: (...args) => (parses++, defs.parseSearch(...args)) };
    const scopes = parseScopeString(`patient/*.rs?category=${LAB}`);
    const first = compileSmartScopes(scopes, { patient: 'p1' }, counting);
    const once = parses;
    assert.ok(once > 100, 'the filter is parsed for every type');
    const second = compileSmartScopes(parseScopeString(`patient/*.rs?category=${LAB}`), { patient: 'p2' }, counting);
    assert.equal(parses, once, 'the same scopes are not parsed again');
    assert.deepEqual([first.read.kind === 'smart' && first.read.patient, second.read.kind === 'smart' && second.read.patient], ['p1', 'p2']);
    compileSmartScopes(parseScopeString(`patient/*.rs?category=${CATEGORY}|vital-signs`), { patient: 'p1' }, counting);
    assert.ok(parses > once, 'other scopes are compiled');
  });

  test('queries that are not plain searches on the type are invalid scopes', () => {
    for (const bad of ['patient/Observation.rs?_count=5', 'patient/Observation.rs?nonsense=1', 'patient/Observation.rs?subject.name=x', 'patient/Observation.rs?date=notadate']) {
      assert.throws(() => smart(bad, 'p1'), (e: unknown) => isFhirkeepError(e) && e.code === 'invalid-scope', bad);
    }
  });
});

describe('writes', () => {
  const p1 = smart('patient/*.cruds', 'p1');

  test('a patient-scoped create lands in the patient compartment, or is refused and leaves nothing', async () => {
    const made = await store.create(p1, observation('x', 'p1', 'laboratory'));
    assert.equal((await store.read(p1, 'Observation', made.id))?.id, made.id);
    await assert.rejects(store.create(p1, { ...observation('x', 'p2', 'laboratory'), id: undefined }, { id: 'refused-create' }), forbidden);
    assert.equal(await count('Observation', 'refused-create'), 0);
    await assert.rejects(store.create(p1, { resourceType: 'Patient' }, { id: 'new-patient' }), forbidden, 'a Patient write only to itself');
    assert.equal(await count('Patient', 'new-patient'), 0);
    assert.equal((await store.create(p1, { resourceType: 'Practitioner', name: [{ family: 'New' }] })).type, 'Practitioner', 'reference data');
  });

  test('updates may neither touch another patient\'s resource nor move one out of the compartment', async () => {
    await assert.rejects(store.update(p1, 'Observation', 'o2-lab', observation('o2-lab', 'p1', 'laboratory')), forbidden);
    await assert.rejects(store.update(p1, 'Observation', 'o1-vital', observation('o1-vital', 'p2', 'vital-signs')), forbidden);
    assert.equal((await store.read(system, 'Observation', 'o1-vital'))?.versionId, 1, 'nothing was written');
    assert.equal((await store.read(system, 'Observation', 'o2-lab'))?.versionId, 1);
    const updated = await store.update(p1, 'Patient', 'p1', { resourceType: 'Patient', id: 'p1', name: [{ family: 'Shared', given: ['One'] }], gender: 'female' });
    assert.equal(updated.version.versionId, 2);
    await assert.rejects(store.update(p1, 'Patient', 'p2', { resourceType: 'Patient', id: 'p2' }), forbidden);
  });

  test('update-as-create needs c as well as u', async () => {
    const updateOnly = smart('patient/Observation.ru', 'p1');
    await assert.rejects(store.update(updateOnly, 'Observation', 'fresh-id', observation('fresh-id', 'p1', 'laboratory')), forbidden);
    assert.equal(await count('Observation', 'fresh-id'), 0);
  });

  test('a delete outside the scope deletes nothing, as if the resource were absent', async () => {
    assert.equal(await store.delete(p1, 'Observation', 'o2-lab'), undefined);
    assert.equal((await store.read(system, 'Observation', 'o2-lab'))?.deleted, false);
  });

  test('a deleted resource stays in its compartment: the patient sees it deleted, not missing', async () => {
    const made = await store.create(p1, observation('x', 'p1', 'vital-signs'));
    assert.equal((await store.delete(p1, 'Observation', made.id))?.deleted, true);
    assert.equal((await store.read(p1, 'Observation', made.id))?.deleted, true);
    assert.equal((await store.history(p1, { type: 'Observation', id: made.id, count: 5 })).entries.length, 2);
  });

  test('interactions without their letter are refused before anything runs', async () => {
    const readOnly = smart('patient/*.rs', 'p1');
    await assert.rejects(store.create(readOnly, observation('x', 'p1', 'laboratory')), forbidden);
    await assert.rejects(store.update(readOnly, 'Observation', 'o1-lab', observation('o1-lab', 'p1', 'laboratory')), forbidden);
    await assert.rejects(store.delete(readOnly, 'Observation', 'o1-lab'), forbidden);
    await assert.rejects(store.create(smart('patient/Observation.c', 'p1'), { resourceType: 'Condition', subject: { reference: 'Patient/p1' } }), forbidden);
  });

  test('a granular write must match its query', async () => {
    const labWriter = smart(`patient/Observation.cru?category=${LAB}`, 'p1');
    assert.equal((await store.create(labWriter, observation('x', 'p1', 'laboratory'))).type, 'Observation');
    await assert.rejects(store.create(labWriter, observation('x', 'p1', 'vital-signs'), { id: 'refused-vital' }), forbidden);
    assert.equal(await count('Observation', 'refused-vital'), 0);
    await assert.rejects(store.update(labWriter, 'Observation', 'o1-lab', observation('o1-lab', 'p1', 'vital-signs')), forbidden);
  });

  test('a transaction with one entry outside the compartment writes nothing', async () => {
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.createMany(p1, [
          { resource: observation('x', 'p1', 'laboratory'), id: 'tx-in' },
          { resource: observation('x', 'p2', 'laboratory'), id: 'tx-out' },
        ]);
      }),
      forbidden,
    );
    assert.equal(await count('Observation', 'tx-in'), 0);
    assert.equal(await count('Observation', 'tx-out'), 0);
  });
});
