import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseOrganizationRef } from '../../access/organization-ref.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { createBrokerStore, type BrokerStore } from './broker-store.js';

let testDb: TestDatabase;
let store: BrokerStore;
const ORG_SYSTEM = 'urn:oid:2.16.840.1.113883.2.4.6.1';

before(async () => {
  testDb = await createTestDatabase();
  store = createBrokerStore(testDb.db.sql);
  const { sql } = testDb.db;
  await sql`insert into organizations (id, name, identifier_system, identifier_value) values
              ('clinic', 'Clinic', ${ORG_SYSTEM}, '12345'), ('lab', 'Lab', ${ORG_SYSTEM}, '67890'), ('ward', 'Ward', null, null),
              (${"x' or 1=1--"}, 'Quoted', 'a|b', 'c')`;
  await sql`insert into organizations (id, kind, parent_id, name) values ('clinic-team', 'team', 'clinic', 'Team')`;
  await sql`insert into clients (id, type, name, public) values ('brk', 'broker', 'Broker', false), ('other', 'broker', 'Other broker', false)`;
  const consent = (org: string, client: string, status: string) =>
    sql`insert into consents (id, kind, status, organization_id, client_id, resource) values (${crypto.randomUUID()}, 'broker', ${status}, ${org}, ${client}, '{}')`;
  await consent('clinic', 'brk', 'active');
  await consent('lab', 'brk', 'inactive');
  await consent('ward', 'other', 'active');
  await consent("x' or 1=1--", 'brk', 'active');
});
after(() => testDb.drop());

const actingFor = (broker: string, grp: string) => store.actingFor(broker, parseOrganizationRef(grp));

test('an organization named by id or by identifier, whose broker consent to the broker is active', async () => {
  assert.deepEqual(await actingFor('brk', 'clinic'), { organizationId: 'clinic' });
  assert.deepEqual(await actingFor('brk', `${ORG_SYSTEM}|12345`), { organizationId: 'clinic' });
});

test('no such organization: an unknown id or identifier, a team, an identifier system alone', async () => {
  assert.deepEqual(await actingFor('brk', 'nowhere'), { problem: 'unknown-organization' });
  assert.deepEqual(await actingFor('brk', `${ORG_SYSTEM}|99999`), { problem: 'unknown-organization' });
  assert.deepEqual(await actingFor('brk', `urn:other|12345`), { problem: 'unknown-organization' });
  assert.deepEqual(await actingFor('brk', 'clinic-team'), { problem: 'unknown-organization' }, 'teams are not acted for');
  assert.deepEqual(await actingFor('brk', `${ORG_SYSTEM}|`), { problem: 'unknown-organization' }, 'an id, which no organization has');
  assert.deepEqual(await actingFor('brk', 'CLINIC'), { problem: 'unknown-organization' }, 'ids are exact');
});

test('no relationship: a consent that is not active, another broker’s consent, none at all', async () => {
  assert.deepEqual(await actingFor('brk', 'lab'), { problem: 'no-relationship' }, 'inactive');
  assert.deepEqual(await actingFor('brk', `${ORG_SYSTEM}|67890`), { problem: 'no-relationship' });
  assert.deepEqual(await actingFor('brk', 'ward'), { problem: 'no-relationship' }, 'the ward consented to another broker');
  assert.deepEqual(await actingFor('other', 'ward'), { organizationId: 'ward' });
  assert.deepEqual(await actingFor('other', 'clinic'), { problem: 'no-relationship' });
  assert.deepEqual(await actingFor('nobody', 'clinic'), { problem: 'no-relationship' });
});

test('a consent that becomes active or stops being so counts from the next call', async () => {
  const { sql } = testDb.db;
  await sql`update consents set status = 'active' where organization_id = 'lab'`;
  assert.deepEqual(await actingFor('brk', 'lab'), { organizationId: 'lab' });
  await sql`update consents set status = 'inactive' where organization_id = 'lab'`;
  assert.deepEqual(await actingFor('brk', 'lab'), { problem: 'no-relationship' });
});

test('SQL-looking input is data: it names only an organization whose id or identifier it is', async () => {
  assert.deepEqual(await actingFor('brk', "x' or 1=1--"), { organizationId: "x' or 1=1--" });
  assert.deepEqual(await actingFor('brk', "clinic' or '1'='1"), { problem: 'unknown-organization' });
  assert.deepEqual(await actingFor('brk', "' or o.kind = 'organization' --|x"), { problem: 'unknown-organization' });
  assert.deepEqual(await actingFor('brk', 'a|b|c'), { problem: 'unknown-organization' }, 'split on the first bar: system a, value b|c');
  assert.deepEqual(await actingFor('brk', 'clinic\u0000'), { problem: 'unknown-organization' }, 'NUL, which no text column holds');
  assert.deepEqual(await actingFor('brk', `${ORG_SYSTEM}|1\u00002`), { problem: 'unknown-organization' });
  assert.deepEqual(await actingFor('brk\u0000', 'clinic'), { problem: 'no-relationship' });
  assert.deepEqual(await actingFor("brk' or 1=1--", 'clinic'), { problem: 'no-relationship' });
});
