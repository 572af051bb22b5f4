/**
 * HIE catchments at the storage layer (docs/hie.md): for each user's profiles, every read path
 * (read, search, _include, _revinclude, chains, _has, history) returns exactly what a
 * plain-JavaScript oracle computes from the rows, their patients' area codes and their labels;
 * and the catchment test is an index probe run after the search's own conditions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { catchmentReach, hieScope } from '../access/hie-scope.js';
import { PUBLIC_LABEL } from '../access/filter/access-filter.js';
import { systemScope, type AccessScope, type CatchmentReach } from '../access/scope.js';
import type { HieProfile } from '../auth/dialects/hie/profile.js';
import { AREA_CODE_EXTENSION, patientAreaCodes } from '../fhir/area-code.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { render } from '../search/sql/sql-text.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { searchQuery } from '../../test/support/search-query.js';
import { smartDefinitions } from '../../test/support/smart-definitions.js';
import { CONFIDENTIAL_LABELS } from './catchment-sql.js';
import { createResourceStore } from './resource-store.js';
import { searchPageSql } from './search-runner.js';
import type { FhirResource, ResourceStore, StoredVersion } from './types.js';

let testDb: TestDatabase;
let store: ResourceStore;
const system = systemScope('catchment scope test');
const defs = smartDefinitions();

const [RESTRICTED, VERY_RESTRICTED] = CONFIDENTIAL_LABELS as [string, string];
const label = (l: string) => ({ system: l.slice(0, l.indexOf('|')), code: l.slice(l.indexOf('|') + 1) });
const coded = (code: string) => ({ extension: [{ url: AREA_CODE_EXTENSION, valueCode: code }] });
const patient = (id: string, family: string, addresses: readonly object[]): FhirResource => ({ resourceType: 'Patient', id, name: [{ family }], address: [...addresses] });
const obs = (id: string, p: string | undefined, labels: readonly string[] = [], encounterId?: string): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  ...(p === undefined ? {} : { subject: { reference: `Patient/${p}` } }),
  ...(encounterId === undefined ? {} : { encounter: { reference: `Encounter/${encounterId}` } }),
  ...(labels.length === 0 ? {} : { meta: { security: labels.map(label) } }),
});
const condition = (id: string, p: string, encounterId: string): FhirResource => ({ resourceType: 'Condition', id, subject: { reference: `Patient/${p}` }, encounter: { reference: `Encounter/${encounterId}` }, code: { text: 'x' } });
const encounter = (id: string, p: string, labels: readonly string[] = []): FhirResource => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: `Patient/${p}` },
  ...(labels.length === 0 ? {} : { meta: { security: labels.map(label) } }),
});

const DATA: readonly FhirResource[] = [
  patient('pIn', 'Inside', [coded('30261801')]),
  patient('pDistrict', 'District', [{ district: '302618' }]),
  patient('pNext', 'Next', [coded('30261901')]),
  patient('pFar', 'Far', [coded('4011')]),
  patient('pTwo', 'Two', [coded('4011'), coded('30261855')]),
  patient('pNone', 'Nowhere', [{ city: 'Dhaka' }]),
  patient('pOwn', 'Own', [coded('5511')]),
  patient('pNine', 'Nine', [coded('9901')]),
  patient('pGone', 'Gone', [coded('30261802')]),
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Doctor' }] },
  { resourceType: 'Organization', id: 'org1', name: 'Clinic' },
  ...['pIn', 'pDistrict', 'pNext', 'pFar', 'pTwo', 'pNone', 'pOwn', 'pNine', 'pGone'].map((p) => obs(`o-${p}`, p)),
  obs('loose', undefined),
  obs('pubIn', 'pIn', [PUBLIC_LABEL]),
  encounter('eIn', 'pIn'),
  encounter('eInR', 'pIn', [RESTRICTED]),
  encounter('eDistrictV', 'pDistrict', [VERY_RESTRICTED]),
  encounter('eNextR', 'pNext', [RESTRICTED]),
  encounter('eOwnR', 'pOwn', [RESTRICTED]),
  encounter('eOwn', 'pOwn'),
  // Records made in an encounter: hidden with it when it is confidential.
  obs('o-eIn', 'pIn', [], 'eIn'),
  obs('o-eInR', 'pIn', [], 'eInR'),
  condition('c-eDistrictV', 'pDistrict', 'eDistrictV'),
  condition('c-eIn', 'pIn', 'eIn'),
  obs('o-eOwnR', 'pOwn', [], 'eOwnR'),
];

before(async () => {
  testDb = await createTestDatabase();
  store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  for (const r of DATA) await store.update(system, r.resourceType, r.id as string, r);
  // A deleted Patient keeps no area codes: its records fall out of every catchment.
  await store.delete(system, 'Patient', 'pGone');
});
after(() => testDb.drop());

const provider = (...catchments: string[]): HieProfile => ({ type: 'provider', id: 'prov1', catchments });
const facility = (...catchments: string[]): HieProfile => ({ type: 'facility', id: 'fac1', catchments });
const admin = (...catchments: string[]): HieProfile => ({ type: 'admin', id: 'adm1', catchments });
const own = (id: string): HieProfile => ({ type: 'patient', id, catchments: [] });
const scopeOf = (profiles: readonly HieProfile[]): AccessScope => hieScope({ accountId: 'u1', clientId: 'c1', profiles }, defs);

interface Meta {
  readonly key: string;
  readonly type: string;
  readonly patient: string | null;
  readonly security: string[];
  /** The Encounter it was made in (`encounter.reference`), if any. */
  readonly encounter: string | undefined;
}
interface Rows {
  readonly rows: Meta[];
  readonly areas: ReadonlyMap<string, readonly string[]>;
}
async function metadata(): Promise<Rows> {
  const rows = await testDb.db.sql<{ type: string; id: string; patient_id: string | null; security: string[]; content: string }[]>`
    select type, id, patient_id, security, content from resources where not deleted`;
  const areas = new Map(rows.filter((r) => r.type === 'Patient').map((r) => [r.id, patientAreaCodes(JSON.parse(r.content))]));
  return {
    rows: rows.map((r) => ({ key: `${r.type}/${r.id}`, type: r.type, patient: r.patient_id, security: r.security, encounter: (JSON.parse(r.content) as { encounter?: { reference?: string } }).encounter?.reference })),
    areas,
  };
}

/** The oracle: docs/hie.md, row by row. */
function visible(reach: CatchmentReach, m: Meta, { rows, areas }: Rows): boolean {
  if (m.security.includes(PUBLIC_LABEL)) return false;
  if (m.patient === null) return !defs.compartmentTypes.has(m.type);
  const mine = reach.patients.includes(m.patient);
  const inArea = (areas.get(m.patient) ?? []).some((code) => reach.areaPrefixes.some((prefix) => code.startsWith(prefix)));
  if (!mine && !inArea) return false;
  const confidential = (e: Meta | undefined) => e?.type === 'Encounter' && e.security.some((l) => CONFIDENTIAL_LABELS.includes(l));
  const hidden = confidential(m) || confidential(rows.find((e) => e.key === m.encounter));
  return !(reach.hideConfidential && hidden && !mine);
}

const keys = (versions: readonly StoredVersion[]): string[] => versions.map((v) => `${v.type}/${v.id}`).sort();
async function search(scope: AccessScope, type: string, query = ''): Promise<{ matches: string[]; included: string[] }> {
  const page = await store.search(scope, searchQuery(type, query, 200));
  return { matches: keys(page.matches), included: keys(page.included) };
}

const CASES: readonly [string, readonly HieProfile[]][] = [
  ['a provider with a upazila catchment: its patients, no confidential encounter', [provider('302618')]],
  ['an admin with the same catchment: confidential encounters too', [admin('302618')]],
  ['a provider with an admin profile as well: confidential encounters too', [provider('302618'), admin('4011')]],
  ['a facility serving two areas', [facility('4011', '302618')]],
  ['a provider with a district catchment (a shorter prefix covers more)', [provider('3026')]],
  ['a patient: their own record only, confidential encounters included', [own('pOwn')]],
  ['a provider who is also a patient: their own confidential encounters stay visible', [provider('3026'), own('pOwn')]],
  ['a catchment of nines (no code after it)', [provider('99')]],
  ['no profile: directory data only', []],
];

describe('HIE catchments: each interaction returns exactly what the oracle allows', () => {
  for (const [name, profiles] of CASES) {
    test(name, async () => {
      const scope = scopeOf(profiles);
      const reach = catchmentReach(profiles);
      const all = await metadata();
      const { rows } = all;
      const allowed = new Set(rows.filter((m) => visible(reach, m, all)).map((m) => m.key));
      const ofType = (t: string) => [...allowed].filter((k) => k.startsWith(`${t}/`)).sort();
      for (const type of ['Patient', 'Observation', 'Condition', 'Encounter', 'Practitioner', 'Organization']) {
        assert.deepEqual((await search(scope, type)).matches, ofType(type), `search ${type}`);
      }
      for (const m of rows) {
        const [type, id] = m.key.split('/') as [string, string];
        assert.equal((await store.read(scope, type, id)) !== undefined, allowed.has(m.key), `read ${m.key}`);
      }
      const patientsSeen = new Set(ofType('Patient'));
      const of = (type: string, p: (m: Meta) => boolean) => ofType(type).filter((k) => rows.some((m) => m.key === k && p(m)));
      // _include: the subjects of the visible records, as far as they are visible themselves.
      const subjects = (type: string) => [...new Set(ofType(type).flatMap((k) => rows.filter((m) => m.key === k && m.patient !== null).map((m) => `Patient/${m.patient as string}`)))].filter((k) => allowed.has(k)).sort();
      assert.deepEqual((await search(scope, 'Observation', '_include=Observation:subject')).included, subjects('Observation'), '_include Observation:subject');
      assert.deepEqual((await search(scope, 'Encounter', '_include=Encounter:subject')).included, subjects('Encounter'), '_include Encounter:subject');
      // _revinclude: the visible records of the visible patients.
      const rev = await search(scope, 'Patient', '_revinclude=Observation:subject&_revinclude=Encounter:subject');
      assert.deepEqual(rev.included, [...of('Observation', (m) => patientsSeen.has(`Patient/${m.patient ?? ''}`)), ...of('Encounter', (m) => patientsSeen.has(`Patient/${m.patient ?? ''}`))].sort(), '_revinclude');
      // A chain and _has reach only through what is visible.
      const chained = await search(scope, 'Encounter', 'subject:Patient.family=Inside');
      assert.deepEqual(chained.matches, allowed.has('Patient/pIn') ? of('Encounter', (m) => m.patient === 'pIn') : [], 'chain');
      const has = await search(scope, 'Patient', '_has:Encounter:subject:status=finished');
      assert.deepEqual(has.matches, [...patientsSeen].filter((p) => of('Encounter', (m) => `Patient/${m.patient ?? ''}` === p).length > 0).sort(), '_has');
      const history = await store.history(scope, { type: 'Encounter', count: 200 });
      assert.deepEqual([...new Set(history.entries.map((e) => `${e.type}/${e.id}`))].sort(), ofType('Encounter'), 'type history');
    });
  }
});

test('the oracle is no tautology: the expected sets are what docs/hie.md says', async () => {
  const all = await metadata();
  const seen = (profiles: readonly HieProfile[], type: string) => all.rows.filter((m) => m.type === type && visible(catchmentReach(profiles), m, all)).map((m) => m.key.split('/')[1]).sort();
  assert.deepEqual(seen([provider('302618')], 'Patient'), ['pDistrict', 'pIn', 'pTwo']);
  assert.deepEqual(seen([provider('302618')], 'Encounter'), ['eIn']);
  assert.deepEqual(seen([admin('302618')], 'Encounter'), ['eDistrictV', 'eIn', 'eInR']);
  assert.deepEqual(seen([own('pOwn')], 'Encounter'), ['eOwn', 'eOwnR']);
  assert.deepEqual(seen([provider('302618')], 'Observation'), ['o-eIn', 'o-pDistrict', 'o-pIn', 'o-pTwo']);
  assert.deepEqual(seen([provider('302618')], 'Condition'), ['c-eIn']);
  assert.deepEqual(seen([admin('302618')], 'Condition'), ['c-eDistrictV', 'c-eIn']);
  assert.deepEqual(seen([provider('3026'), own('pOwn')], 'Observation').filter((id) => id?.includes('Own')), ['o-eOwnR', 'o-pOwn']);
  assert.deepEqual(seen([provider('99')], 'Patient'), ['pNine']);
  assert.deepEqual(seen([], 'Patient'), []);
});

test('a changed address moves a patient into or out of a catchment with the write', async () => {
  const scope = scopeOf([provider('302618')]);
  assert.equal(await store.read(scope, 'Observation', 'o-pNext'), undefined);
  await store.update(system, 'Patient', 'pNext', patient('pNext', 'Next', [coded('30261899')]));
  try {
    assert.notEqual(await store.read(scope, 'Observation', 'o-pNext'), undefined);
  } finally {
    await store.update(system, 'Patient', 'pNext', patient('pNext', 'Next', [coded('30261901')]));
  }
  assert.equal(await store.read(scope, 'Observation', 'o-pNext'), undefined);
});

test('an HIE scope writes nothing', async () => {
  await assert.rejects(store.create(scopeOf([admin('30')]), obs('new', 'pIn')), /may not write/);
});

test("a provider's search probes the patient's area codes and the record's encounter after the search's own conditions, by index, never a hash or a scan", async () => {
  const { sql } = testDb.db;
  // Many patients in and out of the area, each with observations, so a plan reading them all would show.
  await sql`insert into resources (type, id, version_id, last_updated, content, patient_id, created_at)
            select 'Patient', 'many' || i, 1, now(), '{}', 'many' || i, now() from generate_series(1, 3000) i`;
  await sql`insert into search_token (rid, param, code)
            select rid, ${r4ParamRegistry().forType('Patient')?.get('area-code')?.key ?? 0}, case when id like '%0' then '30261877' else '4011' || lpad((rid % 100)::text, 2, '0') end
            from resources where id like 'many%'`;
  await sql`insert into resources (type, id, version_id, last_updated, content, patient_id, created_at)
            select 'Observation', 'mo' || i, 1, now(), '{}', 'many' || (i % 3000 + 1), now() from generate_series(1, 9000) i`;
  // Each made in an encounter, so a plan reading every encounter reference of a type would show.
  await sql`insert into search_reference (rid, param, target_type, target_id)
            select rid, ${r4ParamRegistry().forType('Observation')?.get('encounter')?.key ?? 0}, 'Encounter', 'me' || (rid % 500) from resources where id like 'mo%'`;
  await sql`analyze resources`;
  await sql`analyze search_token`;
  await sql`analyze search_reference`;
  const explain = async (query: string, options: string) => {
    const page = render(searchPageSql(scopeOf([provider('302618')]), searchQuery('Observation', query, 20)));
    return (await sql.unsafe(`explain ${options} ${page.text}`, page.params as never[])).map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
  };
  try {
    for (const query of ['patient=pIn&code=29463-7', 'code=29463-7', '']) {
      const plan = await explain(query, '');
      assert.doesNotMatch(plan, /hashed SubPlan|Seq Scan on search_token/, plan);
      assert.match(plan, /resources_tenant_type_id on resources ap/, plan);
      assert.match(plan, /search_token_rid on search_token at/, plan);
      assert.match(plan, /search_reference_rid on search_reference cx/, plan);
      assert.doesNotMatch(plan, /Seq Scan on search_reference/, plan);
    }
    // Cheapest first: when the search's own index tests let no row through, no area code is probed.
    const analyzed = await explain('patient=pIn&code=0000-0', '(analyze, costs off)');
    assert.match(analyzed, /resources_tenant_type_id on resources ap.*never executed/, analyzed);
  } finally {
    await sql`delete from search_token where rid in (select rid from resources where id like 'many%')`;
    await sql`delete from search_reference where rid in (select rid from resources where id like 'mo%')`;
    await sql`delete from resources where id like 'many%' or id like 'mo%'`;
  }
});
