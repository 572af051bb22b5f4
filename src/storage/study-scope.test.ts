/**
 * A research partner's study boundary at the storage layer (docs/research.md), beyond the
 * oracle matrix of consent-scope.test.ts: each way a subject leaves the study (withdrawn, its
 * Consent inactive or deleted, its ResearchSubject deleted) and each way the partner loses the
 * study (grant revoked, partner revoked, study deleted) holds for the very next query; and the
 * enrollment test is planned as an index probe run after the search's own conditions.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compileApplicationRule, consentRule } from '../access/consent-rule.js';
import { systemScope, type AccessScope } from '../access/scope.js';
import { compileSmartRule } from '../access/smart-access.js';
import type { RegisteredClient } from '../auth/clients/client.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { render } from '../search/sql/sql-text.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { searchQuery } from '../../test/support/search-query.js';
import { smartDefinitions } from '../../test/support/smart-definitions.js';
import { createResourceStore } from './resource-store.js';
import { searchPageSql } from './search-runner.js';
import type { FhirResource, ResourceStore } from './types.js';

let testDb: TestDatabase;
let store: ResourceStore;
const system = systemScope('study scope test');
const defs = smartDefinitions();
const PATIENTS = ['p1', 'p2', 'p3'];

const subject = (id: string, patient: string, status: string, consent?: string): FhirResource => ({
  resourceType: 'ResearchSubject',
  id,
  status,
  study: { reference: 'ResearchStudy/st' },
  individual: { reference: `Patient/${patient}` },
  ...(consent === undefined ? {} : { consent: { reference: consent } }),
});
const observation = (id: string, patient: string, code = '29463-7'): FhirResource => ({ resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: `Patient/${patient}` } });
const consent = (id: string, patient: string, status: string): FhirResource => ({ resourceType: 'Consent', id, status, patient: { reference: `Patient/${patient}` } });

before(async () => {
  testDb = await createTestDatabase();
  store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  const { sql } = testDb.db;
  await sql`insert into clients (id, type, name, public) values ('res', 'research', 'res', false)`;
  await sql`insert into study_grants (client_id, study_id) values ('res', 'st')`;
  const data: FhirResource[] = [
    { resourceType: 'ResearchStudy', id: 'st', status: 'active' },
    { resourceType: 'Practitioner', id: 'dr' },
    ...PATIENTS.flatMap((p) => [{ resourceType: 'Patient', id: p }, observation(`o-${p}`, p)]),
    consent('k2', 'p2', 'active'),
    subject('s1', 'p1', 'on-study'),
    subject('s2', 'p2', 'on-study-observation', 'Consent/k2'),
    subject('s3', 'p3', 'screening'),
  ];
  for (const r of data) await store.update(system, r.resourceType, r.id as string, r);
});
after(() => testDb.drop());

function partner(extra: Partial<RegisteredClient> = {}): RegisteredClient {
  return { id: 'res', type: 'research', name: 'res', isPublic: false, hasSecret: true, redirectUris: [], jwks: undefined, jwksUri: undefined, requirePkce: true, scopes: [], launchUri: undefined, ownerAccount: undefined, createdAt: new Date(), revoked: false, accessFilter: undefined, filterVersion: 1, writeMode: 'any', reach: 'consented', ...extra };
}
function scopeIn(study: string): AccessScope {
  const rule = consentRule(compileSmartRule(parseScopeString('system/*.rs'), {}, defs), partner(), compileApplicationRule('res', undefined, () => undefined), { accountId: undefined, patient: undefined, organizationId: undefined, studyId: study });
  return { principal: { kind: 'key', clientId: 'res', keyId: 'k', scopes: ['system/*.rs'], studyId: study }, read: rule, write: rule, ownerAccount: null, sourceApp: 'res' };
}
const scope = scopeIn('st');
const patients = async (s: AccessScope = scope) => (await store.search(s, searchQuery('Patient', '', 100))).matches.map((v) => v.id).sort();
const practitioners = async (s: AccessScope = scope) => (await store.search(s, searchQuery('Practitioner', '', 100))).matches.map((v) => v.id);
/** Runs `change`, checks the partner's next query, and puts things back. */
async function whileChanged(change: () => Promise<unknown>, restore: () => Promise<unknown>, check: () => Promise<void>): Promise<void> {
  await change();
  try {
    await check();
  } finally {
    await restore();
  }
  assert.deepEqual(await patients(), ['p1', 'p2'], 'and back once restored');
}

test('the partner sees the enrolled subjects only: on-study without a Consent, on-study with an active one; not the one in screening', async () => {
  assert.deepEqual(await patients(), ['p1', 'p2']);
  assert.deepEqual((await store.search(scope, searchQuery('Observation', '', 100))).matches.map((v) => v.id).sort(), ['o-p1', 'o-p2']);
  assert.equal(await store.read(scope, 'Observation', 'o-p3'), undefined);
  assert.deepEqual((await store.search(scope, searchQuery('ResearchSubject', '', 100))).matches.map((v) => v.id).sort(), ['s1', 's2'], "the subjects' own ResearchSubjects are in their compartments");
  assert.deepEqual(await practitioners(), ['dr'], 'directory data');
});

test('a subject who withdraws, whose Consent becomes inactive or is deleted, or whose ResearchSubject is deleted, is gone from the next query', async () => {
  const put = (r: FhirResource) => store.update(system, r.resourceType, r.id as string, r);
  await whileChanged(() => put(subject('s1', 'p1', 'withdrawn')), () => put(subject('s1', 'p1', 'on-study')), async () => assert.deepEqual(await patients(), ['p2']));
  await whileChanged(() => put(consent('k2', 'p2', 'inactive')), () => put(consent('k2', 'p2', 'active')), async () => assert.deepEqual(await patients(), ['p1']));
  await whileChanged(() => store.delete(system, 'Consent', 'k2'), () => put(consent('k2', 'p2', 'active')), async () => assert.deepEqual(await patients(), ['p1']));
  await whileChanged(() => store.delete(system, 'ResearchSubject', 's1'), () => put(subject('s1', 'p1', 'on-study')), async () => assert.deepEqual(await patients(), ['p2']));
  await whileChanged(() => put(subject('s2', 'p2', 'on-study', 'Consent/missing')), () => put(subject('s2', 'p2', 'on-study-observation', 'Consent/k2')), async () => assert.deepEqual(await patients(), ['p1'], 'a Consent that does not exist consents to nothing'));
  await whileChanged(() => put(subject('s2', 'p2', 'on-study', 'https://elsewhere.example/Consent/k2')), () => put(subject('s2', 'p2', 'on-study-observation', 'Consent/k2')), async () => assert.deepEqual(await patients(), ['p1'], 'a Consent that cannot be checked consents to nothing'));
});

test('a subject of another study, or of this study only through another patient’s Consent, is not reached', async () => {
  const put = (r: FhirResource) => store.update(system, r.resourceType, r.id as string, r);
  await whileChanged(() => put({ ...subject('s1', 'p1', 'on-study'), study: { reference: 'ResearchStudy/other' } }), () => put(subject('s1', 'p1', 'on-study')), async () => assert.deepEqual(await patients(), ['p2']));
  await whileChanged(() => put(subject('s1', 'p1', 'on-study', 'Consent/k2')), () => put(subject('s1', 'p1', 'on-study')), async () => assert.deepEqual(await patients(), ['p2'], "p2's Consent does not enroll p1"));
});

test('revoking the grant, revoking the partner or deleting the study holds for the next query: nothing, not even directory data', async () => {
  const { sql } = testDb.db;
  await whileChanged(() => sql`delete from study_grants where client_id = 'res'`, () => sql`insert into study_grants (client_id, study_id) values ('res', 'st')`, async () => {
    assert.deepEqual(await patients(), []);
    assert.deepEqual(await practitioners(), []);
    assert.equal(await store.read(scope, 'Observation', 'o-p1'), undefined);
  });
  await whileChanged(() => sql`update clients set revoked_at = now() where id = 'res'`, () => sql`update clients set revoked_at = null where id = 'res'`, async () => assert.deepEqual(await patients(), []));
  await whileChanged(() => store.delete(system, 'ResearchStudy', 'st'), () => store.update(system, 'ResearchStudy', 'st', { resourceType: 'ResearchStudy', id: 'st', status: 'active' }), async () => assert.deepEqual(await patients(), []));
  assert.deepEqual(await patients(scopeIn('other')), [], 'a study not granted reaches nobody');
  assert.deepEqual(await practitioners(scopeIn('other')), []);
});

test('the enrollment test is one index probe per row the search lets through, after its own conditions; the grant is tested once', async () => {
  const { sql } = testDb.db;
  // Many enrolled subjects, half of them through an active Consent, so a plan that reads them all would show.
  const many = Array.from({ length: 2000 }, (_, i) =>
    i % 2 === 0 ? [subject(`m${i}`, `pm${i}`, 'on-study'), observation(`om${i}`, `pm${i}`)] : [consent(`km${i}`, `pm${i}`, 'active'), subject(`m${i}`, `pm${i}`, 'on-study', `Consent/km${i}`), observation(`om${i}`, `pm${i}`)],
  ).flat();
  await store.createMany(system, many.map((resource) => ({ resource, id: resource.id as string })));
  await sql`analyze`;
  const explain = async (query: string, options: string) => {
    const page = render(searchPageSql(scope, searchQuery('Observation', query, 20)));
    return (await sql.unsafe(`explain ${options} ${page.text}`, page.params as never[])).map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
  };
  for (const query of ['patient=p1&code=29463-7', 'code=29463-7']) {
    const plan = await explain(query, '');
    assert.doesNotMatch(plan, /hashed SubPlan|Seq Scan on (resources|search_)|search_token_lookup on search_token x_2/, plan);
    assert.match(plan, /resources_patient on resources s/, plan);
    // The grant, tested once: PostgreSQL 17 prints `(InitPlan 4).col1`, 15 `$3`.
    assert.match(plan, /One-Time Filter: (\(InitPlan \d+\)|\$\d+)/, plan);
  }
  // Cheapest first: when the search's own index tests let no row through, no subject is probed.
  const analyzed = await explain('patient=p1&code=0000-0', '(analyze, costs off)');
  assert.match(analyzed, /resources_patient on resources s(_\d+)? \(never executed\)/, analyzed);
  assert.equal((await store.search(scope, searchQuery('Observation', 'code=29463-7', 3000))).matches.length, 2002);
});
