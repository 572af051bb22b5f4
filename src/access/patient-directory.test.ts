import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { Account } from '../auth/accounts/account.js';
import { parseConfig } from '../config/load.js';
import { createFhirCore, type FhirCore } from '../server.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { TEST_NODE_SETTINGS } from '../../test/support/fhirkeep-server.js';
import { patientDirectory } from './patient-directory.js';
import { systemScope } from './scope.js';
import type { PatientDirectory } from '../auth/oauth/authorize/authorize-dependencies.js';

let testDb: TestDatabase;
let core: FhirCore;
let directory: PatientDirectory;

const account = (id: string, roles: Account['roles'], patientId?: string): Account => ({
  id,
  email: `${id}@example.org`,
  roles,
  displayName: undefined,
  patientId,
  practitionerId: roles.includes('practitioner') ? 'pr1' : undefined,
  disabled: false,
});
const dr = account('dr', ['practitioner']);

before(async () => {
  testDb = await createTestDatabase();
  core = await createFhirCore(parseConfig({ FHIRKEEP_DATABASE_URL: testDb.url, ...TEST_NODE_SETTINGS }), { logger: pino({ level: 'silent' }), publicBase: () => 'http://localhost:8080' });
  for (const [id, family] of [['p1', 'Lee'], ['p2', 'Lee'], ['p3', 'Kim']] as const) {
    const body = JSON.stringify({ resourceType: 'Patient', id, name: [{ given: ['Ann'], family }] });
    const res = await core.router.handle({ method: 'PUT', path: `Patient/${id}`, query: new URLSearchParams(), body, contentType: 'application/fhir+json', headers: {}, scope: systemScope('test') });
    assert.equal(res.status, 201);
  }
  const { sql } = testDb.db;
  await sql`insert into accounts (id, email, roles, patient_id) values ('dr', 'dr@example.org', '{practitioner}', null), ('h2', 'h2@example.org', '{patient}', 'p2'), ('h3', 'h3@example.org', '{patient}', 'p3')`;
  await sql`insert into organizations (id, name) values ('clinic', 'Clinic')`;
  await sql`insert into organization_members (organization_id, account_id) values ('clinic', 'dr')`;
  // p2's holder shares with the clinic; p3's share was withdrawn.
  await sql`insert into consents (id, kind, status, account_id, organization_id, patient_id, resource)
            values (gen_random_uuid(), 'organization', 'active', 'h2', 'clinic', 'p2', '{}'), (gen_random_uuid(), 'organization', 'inactive', 'h3', 'clinic', 'p3', '{}')`;
  directory = patientDirectory(core.router, core.smartDefinitions);
});
after(async () => {
  await core.close();
  await testDb.drop();
});

test('a practitioner picks among the patients shared with their organization, and finds no one else', async () => {
  assert.deepEqual(await directory.search(dr, 'Lee', 10), [{ id: 'p2', name: 'Ann Lee' }], 'p1 shares nothing, p3 withdrew');
  assert.deepEqual(await directory.find(dr, 'p2'), { id: 'p2', name: 'Ann Lee' });
  assert.equal(await directory.find(dr, 'p1'), undefined);
  assert.equal(await directory.find(dr, 'p3'), undefined);
});

test('an admin picks among all patients; an account holder only their own; other roles none', async () => {
  assert.deepEqual((await directory.search(account('root', ['admin']), 'Ann', 10)).map((p) => p.id).sort(), ['p1', 'p2', 'p3']);
  assert.deepEqual(await directory.find(account('h3', ['patient'], 'p3'), 'p3'), { id: 'p3', name: 'Ann Kim' });
  assert.equal(await directory.find(account('h3', ['patient'], 'p3'), 'p2'), undefined);
  assert.deepEqual(await directory.search(account('h3', ['patient'], 'p3'), 'Lee', 10), [{ id: 'p3', name: 'Ann Kim' }], 'a holder is only ever offered their own record');
  assert.equal(await directory.find(account('dev', ['developer']), 'p1'), undefined);
});

test('an id from a form that is not a FHIR id finds nothing', async () => {
  for (const id of ['../Observation/o1', 'p1/_history/1', 'p1?x=1', '', 'a'.repeat(65)]) {
    assert.equal(await directory.find(account('root', ['admin']), id), undefined, id);
  }
});
