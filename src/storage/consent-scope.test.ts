/**
 * The access engine's matrix at the storage layer: account holders, applications with a filter
 * per dimension (and unions), consents in every status, public and private records, labels,
 * time windows. For each rule every read path (read, search, _include, _revinclude, chains,
 * _has, history) must return exactly the set a plain-JavaScript oracle computes from the rows'
 * access metadata; writes are checked against write modes and the label rules.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileApplicationRule, consentRule, type Caller } from '../access/consent-rule.js';
import { PUBLIC_LABEL, READ_ONLY_LABEL, RELIABLE_LABEL, type AccessFilter, type FilterBlock, type WriteMode } from '../access/filter/access-filter.js';
import { systemScope, type AccessScope, type ConsentRule } from '../access/scope.js';
import { compileSmartRule, isPermitted } from '../access/smart-access.js';
import type { ClientType, RegisteredClient } from '../auth/clients/client.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { isFhirkeepError } from '../errors/fhirkeep-error.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { typeOnlyClassifier } from '../../test/support/classifier.js';
import { searchQuery } from '../../test/support/search-query.js';
import { smartDefinitions } from '../../test/support/smart-definitions.js';
import { render } from '../search/sql/sql-text.js';
import { createResourceStore } from './resource-store.js';
import { searchPageSql } from './search-runner.js';
import type { FhirResource, ResourceStore, StoredVersion } from './types.js';

let testDb: TestDatabase;
let store: ResourceStore;
const system = systemScope('consent scope test');
const defs = smartDefinitions();
const compartment = defs.compartmentTypes;

const LOINC = 'http://loinc.org';
const WEIGHT = `${LOINC}|29463-7`;
const RESEARCH = 'http://example.org/tags|research';
const label = (l: string) => ({ system: l.slice(0, l.indexOf('|')), code: l.slice(l.indexOf('|') + 1) });
const obs = (id: string, patient: string | undefined, code: string, labels: readonly string[] = []): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  ...(patient === undefined ? {} : { subject: { reference: `Patient/${patient}` } }),
  ...(labels.length === 0 ? {} : { meta: { security: labels.map(label) } }),
});
const patient = (id: string, family: string): FhirResource => ({ resourceType: 'Patient', id, name: [{ family }], generalPractitioner: [{ reference: 'Practitioner/dr1' }] });
const condition = (id: string, p: string): FhirResource => ({ resourceType: 'Condition', id, subject: { reference: `Patient/${p}` }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] } });

/** Who is enrolled in which study, as ResearchSubjects say (the oracle reads these same lists). */
interface Subject {
  readonly id: string;
  readonly patient: string;
  readonly study: string;
  readonly status: string;
  readonly consent?: string;
}
const SUBJECTS: readonly Subject[] = [
  { id: 'rsA', patient: 'pA', study: 'st1', status: 'on-study' },
  { id: 'rsB', patient: 'pB', study: 'st1', status: 'withdrawn' },
  { id: 'rsC', patient: 'pC', study: 'st1', status: 'on-study-intervention', consent: 'kC' },
  { id: 'rsB2', patient: 'pB', study: 'st2', status: 'follow-up', consent: 'kB' },
  { id: 'rsA2', patient: 'pA', study: 'st2', status: 'on-study', consent: 'kC' },
];
/** FHIR Consent resources the subjects name: [patient, status]. */
const STUDY_CONSENTS: Readonly<Record<string, readonly [string, string]>> = { kC: ['pC', 'active'], kB: ['pB', 'inactive'] };
const STUDY_GRANTS: readonly (readonly [string, string])[] = [['res', 'st1'], ['res', 'st2']];
const ENROLLED = ['on-study', 'on-study-intervention', 'on-study-observation', 'follow-up'];
const researchData = (): FhirResource[] => [
  { resourceType: 'ResearchStudy', id: 'st1', status: 'active', identifier: [{ system: 'urn:studies', value: 'S-1' }] },
  { resourceType: 'ResearchStudy', id: 'st2', status: 'active' },
  ...Object.entries(STUDY_CONSENTS).map(([id, [p, status]]): FhirResource => ({ resourceType: 'Consent', id, status, patient: { reference: `Patient/${p}` } })),
  ...SUBJECTS.map((s): FhirResource => ({
    resourceType: 'ResearchSubject',
    id: s.id,
    status: s.status,
    study: { reference: `ResearchStudy/${s.study}` },
    individual: { reference: `Patient/${s.patient}` },
    ...(s.consent === undefined ? {} : { consent: { reference: `Consent/${s.consent}` } }),
  })),
];

/** Who wrote what: [scope owner account, source app, resources]. */
const WRITES: readonly [string | null, string | null, readonly FhirResource[]][] = [
  [null, null, [patient('pA', 'Alpha'), patient('pB', 'Beta'), patient('pC', 'Gamma'), { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Doctor' }] }, { resourceType: 'Organization', id: 'org1', name: 'Clinic' }]],
  [null, null, [obs('wA', 'pA', '29463-7'), obs('hA', 'pA', '8867-4', [RESEARCH]), condition('cA', 'pA'), obs('wB', 'pB', '29463-7'), obs('pubB', 'pB', '8867-4', [PUBLIC_LABEL]), condition('cB', 'pB')]],
  [null, null, researchData()],
  ['alice', 'writer', [obs('wA2', 'pA', '29463-7'), obs('loose', undefined, '8867-4')]],
  [null, null, [obs('wC', 'pC', '29463-7'), condition('cC', 'pC'), obs('roA', 'pA', '8867-4', [READ_ONLY_LABEL]), obs('relA', 'pA', '8867-4', [RELIABLE_LABEL])]],
];

/** Consents as the table holds them (the oracle reads this same list). */
interface ConsentRow {
  readonly kind: 'app' | 'service' | 'organization' | 'broker';
  readonly status: string;
  readonly account?: string;
  readonly org?: string;
  readonly client?: string;
  readonly patient?: string;
  readonly version?: number;
}
const CONSENTS: readonly ConsentRow[] = [
  { kind: 'app', status: 'active', account: 'alice', client: 'app', patient: 'pA', version: 1 },
  { kind: 'app', status: 'inactive', account: 'bob', client: 'app', patient: 'pB', version: 1 },
  { kind: 'app', status: 'active', account: 'carol', client: 'app', patient: 'pC', version: 0 },
  { kind: 'app', status: 'active', account: 'dr', client: 'app', version: 1 },
  { kind: 'service', status: 'active', account: 'alice', client: 'svc', patient: 'pA', version: 1 },
  { kind: 'service', status: 'rejected', account: 'bob', client: 'svc', patient: 'pB', version: 1 },
  { kind: 'organization', status: 'active', account: 'carol', org: 'clinic', patient: 'pC' },
  { kind: 'organization', status: 'inactive', account: 'bob', org: 'clinic', patient: 'pB' },
  { kind: 'organization', status: 'active', account: 'alice', org: 'lab', patient: 'pA' },
  { kind: 'organization', status: 'active', account: 'bob', org: 'ward', patient: 'pB' },
  { kind: 'broker', status: 'active', org: 'clinic', client: 'broker' },
  { kind: 'broker', status: 'active', org: 'lab', client: 'broker' },
  { kind: 'broker', status: 'inactive', org: 'ward', client: 'broker' },
];
const PATIENT_OF: Readonly<Record<string, string>> = { alice: 'pA', bob: 'pB', carol: 'pC' };

let between: Date;

before(async () => {
  testDb = await createTestDatabase();
  store = createResourceStore(testDb.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  const { sql } = testDb.db;
  for (const id of ['alice', 'bob', 'carol', 'dr']) {
    await sql`insert into accounts (id, email, roles, patient_id) values (${id}, ${`${id}@example.org`}, ${id === 'dr' ? ['practitioner'] : ['patient']}, ${PATIENT_OF[id] ?? null})`;
  }
  await sql`insert into organizations (id, name) values ('clinic', 'Clinic'), ('lab', 'Lab'), ('ward', 'Ward')`;
  await sql`insert into organization_members (organization_id, account_id) values ('clinic', 'dr')`;
  for (const [id, type] of [['app', 'smart'], ['svc', 'service'], ['broker', 'broker'], ['broker2', 'broker'], ['writer', 'smart'], ['res', 'research'], ['res2', 'research']] as const) {
    await sql`insert into clients (id, type, name, public) values (${id}, ${type}, ${id}, false)`;
  }
  for (const [clientId, studyId] of STUDY_GRANTS) await sql`insert into study_grants (client_id, study_id) values (${clientId}, ${studyId})`;
  for (const c of CONSENTS) {
    await sql`insert into consents (id, kind, status, account_id, organization_id, client_id, patient_id, filter_version, resource)
              values (${crypto.randomUUID()}, ${c.kind}, ${c.status}, ${c.account ?? null}, ${c.org ?? null}, ${c.client ?? null}, ${c.patient ?? null}, ${c.version ?? null}, '{}')`;
  }
  for (const [i, [owner, app, resources]] of WRITES.entries()) {
    // The last batch is written after `between`, so created-after windows split the data.
    if (i === WRITES.length - 1) {
      await new Promise((r) => setTimeout(r, 20));
      between = new Date();
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const r of resources) await store.update({ ...system, ownerAccount: owner, sourceApp: app }, r.resourceType, r.id as string, r);
  }
});
after(() => testDb.drop());

function client(id: string, type: ClientType, extra: Partial<RegisteredClient> = {}): RegisteredClient {
  return { id, type, name: id, isPublic: false, hasSecret: true, redirectUris: [], jwks: undefined, jwksUri: undefined, requirePkce: true, scopes: [], launchUri: undefined, ownerAccount: undefined, createdAt: new Date(), revoked: false, accessFilter: undefined, filterVersion: 1, writeMode: 'any', reach: 'consented', ...extra };
}

/** `organization`: the one a broker acts for (the request's grp); `study`: the one a research partner names (researchstudy). */
function ruleOf(c: RegisteredClient, filter: AccessFilter | undefined, account?: string, organization?: string, study?: string): ConsentRule {
  const caller: Caller = { accountId: account, patient: account === undefined ? undefined : PATIENT_OF[account], organizationId: organization, studyId: study };
  const app = compileApplicationRule(c.id, filter, () => undefined);
  return consentRule(compileSmartRule(parseScopeString('user/*.cruds'), {}, defs), c, app, caller);
}
const scopeOf = (rule: ConsentRule, account?: string): AccessScope => ({ ...system, principal: { kind: 'anonymous' }, read: rule, write: rule, ownerAccount: account ?? null, sourceApp: rule.reach.kind === 'everyone' ? 'inst' : 'app' });
const block = (b: Partial<FilterBlock>): FilterBlock => ({ owner: 'all', public: 'never', ...b });
const filter = (...blocks: Partial<FilterBlock>[]): AccessFilter => ({ blocks: blocks.map(block) });

interface Meta {
  readonly key: string;
  readonly type: string;
  readonly patient: string | null;
  readonly codes: string[];
  readonly app: string | null;
  readonly owner: string | null;
  readonly created: Date;
  readonly updated: Date;
  readonly security: string[];
}
async function metadata(): Promise<Meta[]> {
  const rows = await testDb.db.sql<{ type: string; id: string; patient_id: string | null; codes: string[]; source_app: string | null; owner_account: string | null; created_at: Date; last_updated: Date; security: string[] }[]>`
    select type, id, patient_id, codes, source_app, owner_account, created_at, last_updated, security from resources where not deleted`;
  return rows.map((r) => ({ key: `${r.type}/${r.id}`, type: r.type, patient: r.patient_id, codes: r.codes, app: r.source_app, owner: r.owner_account, created: r.created_at, updated: r.last_updated, security: r.security }));
}

/** The oracle: the access model of docs/access.md, evaluated row by row in JavaScript. */
function visible(rule: ConsentRule, m: Meta): boolean {
  const reach = rule.reach;
  const active = (c: ConsentRow) => c.status === 'active';
  if (reach.kind === 'account' && !CONSENTS.some((c) => active(c) && c.kind === 'app' && c.account === reach.accountId && c.client === reach.clientId && c.version === reach.filterVersion)) return false;
  if (reach.kind === 'broker' && !CONSENTS.some((c) => active(c) && c.kind === 'broker' && c.org === reach.organizationId && c.client === reach.clientId)) return false;
  if (reach.kind === 'study' && !STUDY_GRANTS.some(([c, s]) => c === reach.clientId && s === reach.studyId)) return false;
  const reached = (owner: 'self' | 'all'): boolean => {
    if (reach.kind === 'everyone') return true;
    // Directory data is everyone's; a compartment record naming no patient is nobody's to share.
    if (m.patient === null) return !compartment.has(m.type);
    switch (reach.kind) {
      case 'account':
      case 'holder': {
        if (m.patient === reach.patient) return true;
        if (owner === 'self') return false;
        const orgs = new Set(['clinic'].filter(() => reach.accountId === 'dr'));
        return CONSENTS.some((c) => active(c) && c.kind === 'organization' && orgs.has(c.org ?? '') && c.patient === m.patient);
      }
      case 'subscribers':
        return CONSENTS.some((c) => active(c) && c.kind === 'service' && c.client === reach.clientId && c.version === reach.filterVersion && c.patient === m.patient);
      case 'broker':
        return CONSENTS.some((c) => active(c) && c.kind === 'organization' && c.org === reach.organizationId && c.patient === m.patient);
      case 'study':
        return SUBJECTS.some((s) => {
          const consent = s.consent === undefined ? undefined : STUDY_CONSENTS[s.consent];
          return s.patient === m.patient && s.study === reach.studyId && ENROLLED.includes(s.status) && (s.consent === undefined || (consent?.[0] === m.patient && consent[1] === 'active'));
        });
      case 'nobody':
        return false;
      case 'catchment':
        throw new Error('catchment reaches have their own oracle: src/storage/catchment-scope.test.ts');
    }
  };
  const isPublic = m.security.includes(PUBLIC_LABEL);
  return rule.blocks.some((b) => {
    if (b.types !== undefined && !b.types.has(m.type)) return false;
    if (b.codes !== undefined && !b.codes.some((c) => m.codes.includes(c))) return false;
    if (b.apps !== undefined && !b.apps.includes(m.app ?? '')) return false;
    if (b.createdAfter !== undefined && !(m.created > b.createdAfter)) return false;
    if (b.createdBefore !== undefined && !(m.created < b.createdBefore)) return false;
    if (b.tags !== undefined && !b.tags.every((t) => m.security.includes(t))) return false;
    if (b.public === 'only') return isPublic;
    if (b.public === 'also') return isPublic || reached(b.owner);
    return !isPublic && reached(b.owner);
  });
}

const keys = (versions: readonly StoredVersion[]): string[] => versions.map((v) => `${v.type}/${v.id}`).sort();
async function search(scope: AccessScope, type: string, query = ''): Promise<{ matches: string[]; included: string[] }> {
  const page = await store.search(scope, searchQuery(type, query, 200));
  return { matches: keys(page.matches), included: keys(page.included) };
}

/** Every (application, caller) under test, named. */
function cases(): [string, ConsentRule, string | undefined][] {
  const app = client('app', 'smart');
  const broker = client('broker', 'broker');
  return [
    ['no filter, the holder', ruleOf(app, undefined, 'alice'), 'alice'],
    ['no filter, a holder whose consent is inactive', ruleOf(app, undefined, 'bob'), 'bob'],
    ['no filter, a holder who consented to an older filter version', ruleOf(app, undefined, 'carol'), 'carol'],
    ['owner all: a practitioner sees what is shared with their organization', ruleOf(app, undefined, 'dr'), 'dr'],
    ['owner self: a practitioner has no records of their own', ruleOf(app, filter({ owner: 'self' }), 'dr'), 'dr'],
    ['format and code', ruleOf(app, filter({ formats: ['Observation'], codes: [WEIGHT] }), 'alice'), 'alice'],
    ['public also', ruleOf(app, filter({ formats: ['Observation'], public: 'also' }), 'alice'), 'alice'],
    ['public only', ruleOf(app, filter({ public: 'only' }), 'alice'), 'alice'],
    ['tag', ruleOf(app, filter({ tags: [RESEARCH] }), 'alice'), 'alice'],
    ['app: records written by another app', ruleOf(app, filter({ apps: ['writer'] }), 'alice'), 'alice'],
    ['created after', ruleOf(app, filter({ createdAfter: between }), 'alice'), 'alice'],
    ['created before', ruleOf(app, filter({ createdBefore: between }), 'alice'), 'alice'],
    ['union of blocks', ruleOf(app, filter({ formats: ['Condition'] }, { codes: [WEIGHT] }, { formats: ['Patient'] }), 'alice'), 'alice'],
    ['service: its subscribers', ruleOf(client('svc', 'service'), filter({ formats: ['Condition', 'Observation', 'Patient'] })), undefined],
    ['broker acting for the clinic: the holders sharing with the clinic', ruleOf(broker, undefined, undefined, 'clinic'), undefined],
    ['broker acting for the lab: the lab’s holders, none of the clinic’s', ruleOf(broker, undefined, undefined, 'lab'), undefined],
    ['broker acting for the clinic, public also', ruleOf(broker, filter({ public: 'also' }), undefined, 'clinic'), undefined],
    ['broker acting for the ward, whose consent to it is inactive: nothing, not even directory data', ruleOf(broker, undefined, undefined, 'ward'), undefined],
    ['another broker acting for the clinic, which never consented to it: nothing', ruleOf(client('broker2', 'broker'), undefined, undefined, 'clinic'), undefined],
    ['a broker’s key alone: directory data and the public pool', ruleOf(broker, undefined), undefined],
    ['a broker’s key alone with a filter: its public setting decides', ruleOf(broker, filter({})), undefined],
    ['a broker’s key alone with public only', ruleOf(broker, filter({ public: 'only' })), undefined],
    ['research partner naming no study: nobody', ruleOf(client('res', 'research'), undefined), undefined],
    ['research partner in study 1: pA, and pC whose Consent is active; not pB, who withdrew', ruleOf(client('res', 'research'), undefined, undefined, undefined, 'st1'), undefined],
    ['research partner in study 2: nobody (pB’s Consent is inactive, pA’s names another patient’s)', ruleOf(client('res', 'research'), undefined, undefined, undefined, 'st2'), undefined],
    ['research partner in study 1 with a filter', ruleOf(client('res', 'research'), filter({ formats: ['Observation', 'Patient'], codes: [WEIGHT] }, { formats: ['Patient'] }), undefined, undefined, 'st1'), undefined],
    ['a research partner never granted study 1: nothing, not even directory data', ruleOf(client('res2', 'research'), undefined, undefined, undefined, 'st1'), undefined],
    ['an institution system reaches everyone', ruleOf(client('inst', 'service', { reach: 'all' }), undefined), undefined],
  ];
}

describe('the access engine: each interaction returns exactly what the oracle allows', () => {
  for (const [name, rule, account] of cases()) {
    test(name, async () => {
      const scope = scopeOf(rule, account);
      const rows = await metadata();
      const allowed = new Set(rows.filter((m) => visible(rule, m)).map((m) => m.key));
      const ofType = (t: string) => [...allowed].filter((k) => k.startsWith(`${t}/`)).sort();
      for (const type of ['Patient', 'Observation', 'Condition', 'Practitioner', 'Organization']) {
        const covered = rule.blocks.some((b) => b.types === undefined || b.types.has(type));
        if (!covered) {
          // The router refuses the type before any query (403); storage alone finds nothing.
          assert.equal(isPermitted(scope, 's', type), false, `${type} is outside the filter`);
          assert.deepEqual((await search(scope, type)).matches, []);
          continue;
        }
        assert.deepEqual((await search(scope, type)).matches, ofType(type), `search ${type}`);
      }
      for (const m of rows) {
        const covered = rule.blocks.some((b) => b.types === undefined || b.types.has(m.type));
        if (!covered) continue;
        const [type, id] = m.key.split('/') as [string, string];
        assert.equal((await store.read(scope, type, id)) !== undefined, allowed.has(m.key), `read ${m.key}`);
      }
      const observations = ofType('Observation');
      const coversObservation = rule.blocks.some((b) => b.types === undefined || b.types.has('Observation'));
      const coversPatient = rule.blocks.some((b) => b.types === undefined || b.types.has('Patient'));
      if (coversObservation && coversPatient) {
        // _include: the subjects of the visible observations, as far as they are visible themselves.
        const subjects = new Set(observations.flatMap((k) => rows.filter((m) => m.key === k && m.patient !== null).map((m) => `Patient/${m.patient as string}`)));
        const inc = await search(scope, 'Observation', '_include=Observation:subject');
        assert.deepEqual(inc.included, [...subjects].filter((k) => allowed.has(k)).sort(), '_include');
        // _revinclude: the visible observations of the visible patients.
        const rev = await search(scope, 'Patient', '_revinclude=Observation:subject');
        const visiblePatients = new Set(ofType('Patient'));
        assert.deepEqual(rev.included, observations.filter((k) => rows.some((m) => m.key === k && visiblePatients.has(`Patient/${m.patient ?? ''}`))).sort(), '_revinclude');
        // A chain reaches only through visible patients.
        const chained = await search(scope, 'Observation', 'subject:Patient.family=Alpha');
        assert.deepEqual(chained.matches, observations.filter((k) => rows.some((m) => m.key === k && m.patient === 'pA') && allowed.has('Patient/pA')).sort(), 'chain');
        // _has looks only at visible observations.
        const has = await search(scope, 'Patient', `_has:Observation:subject:code=${WEIGHT}`);
        assert.deepEqual(has.matches, ofType('Patient').filter((p) => rows.some((m) => allowed.has(m.key) && m.type === 'Observation' && m.codes.includes(WEIGHT) && `Patient/${m.patient ?? ''}` === p)), '_has');
      }
      if (coversObservation) {
        const history = await store.history(scope, { type: 'Observation', count: 200 });
        assert.deepEqual([...new Set(history.entries.map((e) => `${e.type}/${e.id}`))].sort(), observations, 'type history');
      }
    });
  }
});

test('only a broker acts for an organization', () => {
  assert.throws(() => ruleOf(client('svc', 'service'), undefined, undefined, 'clinic'), /Only a data broker acts for an organization/);
  assert.throws(() => ruleOf(client('inst', 'service', { reach: 'all' }), undefined, undefined, 'clinic'), /Only a data broker/);
});

test('only a research partner names a research study', () => {
  assert.throws(() => ruleOf(client('broker', 'broker'), undefined, undefined, undefined, 'st1'), /Only a research partner names a research study/);
  assert.throws(() => ruleOf(client('inst', 'service', { reach: 'all' }), undefined, undefined, undefined, 'st1'), /Only a research partner/);
});

test('a broker acting for one organization never sees the holders of another it serves', async () => {
  const observations = async (organization: string) => (await search(scopeOf(ruleOf(client('broker', 'broker'), undefined, undefined, organization)), 'Observation')).matches;
  const [clinic, lab] = [await observations('clinic'), await observations('lab')];
  assert.deepEqual(clinic, ['Observation/wC']);
  assert.ok(lab.includes('Observation/wA') && lab.every((k) => !clinic.includes(k)), lab.join());
});

test('an organization withdrawing its consent to a broker, or the broker revoked, holds on the broker’s next query', async () => {
  const { sql } = testDb.db;
  const scope = scopeOf(ruleOf(client('broker', 'broker'), undefined, undefined, 'clinic'));
  assert.deepEqual((await search(scope, 'Observation')).matches, ['Observation/wC']);
  await sql`update consents set status = 'inactive' where kind = 'broker' and organization_id = 'clinic'`;
  try {
    assert.deepEqual((await search(scope, 'Observation')).matches, []);
    assert.equal(await store.read(scope, 'Observation', 'wC'), undefined);
    assert.deepEqual((await search(scope, 'Practitioner')).matches, [], 'not even directory data');
  } finally {
    await sql`update consents set status = 'active' where kind = 'broker' and organization_id = 'clinic'`;
  }
  assert.deepEqual((await search(scope, 'Observation')).matches, ['Observation/wC'], 'and again once it is active');
  await sql`update clients set revoked_at = now() where id = 'broker'`;
  try {
    assert.deepEqual((await search(scope, 'Observation')).matches, [], 'a revoked broker’s consents share nothing');
  } finally {
    await sql`update clients set revoked_at = null where id = 'broker'`;
  }
});

test('a broker search probes the organization’s shares after the search’s own conditions, one index probe a row', async () => {
  const { sql } = testDb.db;
  // Many holders sharing with the clinic, so a plan that reads them all would show.
  await sql`insert into accounts (id, email, roles, patient_id) select 'share' || i, 'share' || i || '@example.org', '{patient}', 'ps' || i from generate_series(1, 2000) i`;
  await sql`insert into consents (id, kind, status, account_id, organization_id, patient_id, resource)
            select gen_random_uuid(), 'organization', 'active', 'share' || i, 'clinic', 'ps' || i, '{}' from generate_series(1, 2000) i`;
  await sql`analyze consents`;
  const explain = async (query: string, options: string) => {
    const page = render(searchPageSql(scopeOf(rule), searchQuery('Observation', query, 20)));
    return (await sql.unsafe(`explain ${options} ${page.text}`, page.params as never[])).map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
  };
  const rule = ruleOf(client('broker', 'broker'), filter({ formats: ['Observation', 'Condition'] }, { formats: ['Patient'] }), undefined, 'clinic');
  try {
    for (const query of ['patient=pA&code=29463-7', 'code=29463-7']) {
      const plan = await explain(query, '');
      assert.doesNotMatch(plan, /hashed SubPlan|Seq Scan on consents/, plan);
      assert.match(plan, /consents_organization/, plan);
    }
    // Cheapest first: when the search's own index tests let no row through, no share is probed.
    const analyzed = await explain('patient=pA&code=0000-0', '(analyze, costs off)');
    assert.match(analyzed, /consents_organization on consents c_\d+ \(.*never executed\)/, analyzed);
  } finally {
    await sql`delete from consents where account_id like 'share%'`;
    await sql`delete from accounts where id like 'share%'`;
  }
});

test('a subscriber search probes the consents after the search’s own conditions, one index probe a row, never a hash of every consent', async () => {
  const { sql } = testDb.db;
  // Many subscribers, so a plan that reads them all would show.
  await sql`insert into accounts (id, email, roles, patient_id) select 'many' || i, 'many' || i || '@example.org', '{patient}', 'pm' || i from generate_series(1, 2000) i`;
  await sql`insert into consents (id, kind, status, account_id, client_id, patient_id, filter_version, resource)
            select gen_random_uuid(), 'service', 'active', 'many' || i, 'svc', 'pm' || i, 1, '{}' from generate_series(1, 2000) i`;
  await sql`analyze consents`;
  const rule = ruleOf(client('svc', 'service'), filter({ formats: ['Observation', 'Condition'] }, { formats: ['Patient'] }));
  for (const query of ['patient=pA&code=29463-7', 'code=29463-7']) {
    const page = render(searchPageSql(scopeOf(rule), searchQuery('Observation', query, 20)));
    const plan = (await sql.unsafe(`explain ${page.text}`, page.params as never[])).map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
    assert.doesNotMatch(plan, /hashed SubPlan|Seq Scan on consents/, plan);
    assert.match(plan, /consents_client/, plan);
  }
  // Cheapest first: when the search's own index tests let no row through, no consent is probed.
  const none = render(searchPageSql(scopeOf(rule), searchQuery('Observation', 'patient=pA&code=0000-0', 20)));
  const analyzed = (await sql.unsafe(`explain (analyze, costs off) ${none.text}`, none.params as never[])).map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n');
  assert.match(analyzed, /consents_client on consents c \(.*never executed\)/, analyzed);
  await sql`delete from consents where account_id like 'many%'`;
  await sql`delete from accounts where id like 'many%'`;
});

describe('writes follow the write mode, the filter and the label rules', () => {
  const as = (mode: WriteMode, f?: AccessFilter) => scopeOf(ruleOf(client('app', 'smart', { writeMode: mode }), f, 'alice'), 'alice');
  const forbidden = (e: unknown) => isFhirkeepError(e) && e.code === 'forbidden';
  const count = async (id: string) => (await testDb.db.sql<{ n: number }[]>`select count(*)::int as n from resources where id = ${id} and not deleted`)[0]?.n ?? 0;

  test('write mode none writes nothing; update only updates', async () => {
    await assert.rejects(store.create(as('none'), obs('n1', 'pA', '29463-7')), forbidden);
    await assert.rejects(store.create(as('update'), obs('n2', 'pA', '29463-7')), forbidden);
    await store.update(as('update'), 'Observation', 'wA', { ...obs('wA', 'pA', '29463-7'), status: 'amended' });
    await assert.rejects(store.delete(as('create'), 'Observation', 'wA'), forbidden);
    assert.equal((await count('n1')) + (await count('n2')), 0);
  });

  test('create mode: what is created must pass the filter, and lie within the consents', async () => {
    const weights = filter({ formats: ['Observation'], codes: [WEIGHT] });
    const made = await store.create(as('create', weights), obs('ignored', 'pA', '29463-7'));
    assert.equal(made.type, 'Observation');
    await assert.rejects(store.create(as('create', weights), obs('x', 'pA', '8867-4')), forbidden, 'a heart rate is outside this filter');
    await assert.rejects(store.create(as('create'), { ...obs('x', 'pB', '29463-7'), id: undefined }), forbidden, "another holder's compartment is outside the consents");
    await assert.rejects(store.update(as('create'), 'Observation', 'wB', obs('wB', 'pB', '29463-7')), forbidden, "another holder's record");
    await assert.rejects(store.create(as('any'), obs('x', undefined, '8867-4')), forbidden, 'a compartment record naming no patient is nobody’s to share');
  });

  test('any mode deletes within the consents only', async () => {
    await store.update(system, 'Observation', 'del', obs('del', 'pA', '8867-4'));
    assert.equal(await store.delete(as('any'), 'Observation', 'wB'), undefined, "bob's record is as good as absent");
    assert.equal(await count('wB'), 1);
    assert.notEqual(await store.delete(as('any'), 'Observation', 'del'), undefined);
  });

  test('label rules: read-only, reliable, public, labels the filter allows, labels it stamps', async () => {
    const any = as('any');
    await assert.rejects(store.update(any, 'Observation', 'roA', obs('roA', 'pA', '8867-4', [READ_ONLY_LABEL])), forbidden, 'read-only: no update');
    await assert.rejects(store.delete(any, 'Observation', 'roA'), forbidden, 'read-only: no delete');
    await assert.rejects(store.update(any, 'Observation', 'relA', obs('relA', 'pA', '8867-4')), forbidden, 'reliable cannot be dropped');
    await store.update(any, 'Observation', 'relA', obs('relA', 'pA', '9279-1', [RELIABLE_LABEL]));
    await assert.rejects(store.update(any, 'Observation', 'wA2', obs('wA2', 'pA', '29463-7', [PUBLIC_LABEL])), forbidden, 'public cannot be added by update');
    await assert.rejects(store.create(any, obs('x', 'pA', '8867-4', [PUBLIC_LABEL])), forbidden, 'no filter: Fhirkeep labels are not settable');
    await store.create(any, obs('free', 'pA', '8867-4', [RESEARCH]));
    const tagging = filter({ allowTags: [RESEARCH], addTags: ['http://example.org/tags|from-app'] });
    await assert.rejects(store.create(as('any', tagging), obs('x', 'pA', '8867-4', ['http://example.org/tags|other'])), forbidden, 'a label outside allow-tag');
    const stamped = await store.create(as('any', tagging), obs('x', 'pA', '8867-4', [RESEARCH]));
    const labels = async (id: string) => (await testDb.db.sql<{ security: string[] }[]>`select security from resources where id = ${id}`)[0]?.security.sort();
    assert.deepEqual(await labels(stamped.id), ['http://example.org/tags|from-app', RESEARCH]);
    await store.update(as('any', tagging), 'Observation', 'upsert', obs('upsert', 'pA', '8867-4'));
    assert.deepEqual(await labels('upsert'), ['http://example.org/tags|from-app'], 'an update that creates is stamped as a create is');
  });
});
