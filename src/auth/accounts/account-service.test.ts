import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { isFhirkeepError, type FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { SecurityEvent } from '../security-events.js';
import { createAccountService, type AccountService } from './account-service.js';

let testDb: TestDatabase;
let service: AccountService;
const events: SecurityEvent[] = [];
const LIMITS = { accountFailures: 3, ipFailures: 5, windowSeconds: 60 };
const PASSWORD = 'correct horse battery staple';

before(async () => {
  testDb = await createTestDatabase();
  service = createAccountService({ db: testDb.db, record: (e) => events.push(e), throttle: LIMITS });
});
after(() => testDb.drop());

/** Asserts that `work` rejects with a FhirkeepError of this code whose message matches. */
async function rejectsWith(work: Promise<unknown>, code: string, message: RegExp): Promise<FhirkeepError> {
  let caught: unknown;
  await assert.rejects(work, (e: unknown) => {
    caught = e;
    assert.ok(isFhirkeepError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
  return caught as FhirkeepError;
}

const lastEvent = () => events.at(-1);

test('create stores an account without exposing its hash; find, find by email (any case), list', async () => {
  const a = await service.create({ email: ' Ada@Example.org ', password: PASSWORD, roles: ['practitioner', 'developer', 'developer'], practitionerId: 'pr-1', displayName: 'Ada L.' });
  assert.deepEqual({ ...a, id: 'x' }, { id: 'x', email: 'Ada@Example.org', roles: ['practitioner', 'developer'], displayName: 'Ada L.', patientId: undefined, practitionerId: 'pr-1', disabled: false });
  assert.match(a.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(await service.find(a.id), a);
  assert.deepEqual(await service.findByEmail('ADA@example.ORG'), a);
  assert.equal(await service.find('nobody'), undefined);
  assert.ok((await service.list()).some((x) => x.id === a.id));
  assert.ok(!JSON.stringify(await service.list()).includes('argon2'), 'no hash in answers');
  assert.deepEqual(lastEvent(), { kind: 'account-create', outcome: 'success', accountId: a.id, detail: { roles: ['practitioner', 'developer'] } });
});

test('a duplicate email, in any case, is a 409 conflict', async () => {
  await service.create({ email: 'dup@example.org', password: PASSWORD, roles: ['researcher'] });
  const e = await rejectsWith(service.create({ email: 'DUP@example.ORG', password: PASSWORD, roles: ['admin'] }), 'version-conflict', /exists already/);
  assert.equal(e.status, 409);
});

test('bad input names every problem: email, password, roles, FHIR ids', async () => {
  await rejectsWith(service.create({ email: '', password: PASSWORD, roles: ['admin'] }), 'bad-request', /email address is empty/);
  await rejectsWith(service.create({ email: `${'x'.repeat(250)}@example.org`, password: PASSWORD, roles: ['admin'] }), 'bad-request', /at most 254/);
  await rejectsWith(service.create({ email: 'p@example.org', password: 'short', roles: ['admin'] }), 'bad-request', /at least 12/);
  await rejectsWith(service.create({ email: 'p@example.org', password: 'p'.repeat(257), roles: ['admin'] }), 'bad-request', /at most 256/);
  await rejectsWith(service.create({ email: 'p@example.org', password: PASSWORD, roles: [] }), 'bad-request', /at least one role/);
  const e = await rejectsWith(service.create({ email: 'p@example.org', password: 'short', roles: ['admin', 'superuser'] }), 'bad-request', /Unknown role superuser/);
  assert.equal(e.details.length, 2, 'password and role, together');
  await rejectsWith(service.create({ email: 'p@example.org', password: PASSWORD, roles: ['patient'] }), 'bad-request', /patient role needs the id of the account holder's Patient/);
  await rejectsWith(service.create({ email: 'p@example.org', password: PASSWORD, roles: ['practitioner'] }), 'bad-request', /Practitioner/);
  await rejectsWith(service.create({ email: 'p@example.org', password: PASSWORD, roles: ['admin'], patientId: 'p1' }), 'bad-request', /only to an account with the patient role/);
  await rejectsWith(service.create({ email: 'p@example.org', password: PASSWORD, roles: ['patient'], patientId: 'not/an id' }), 'bad-request', /Not a FHIR id/);
  assert.equal(await service.findByEmail('p@example.org'), undefined, 'nothing was stored');
  const patient = await service.create({ email: 'p@example.org', password: PASSWORD, roles: ['patient'], patientId: 'pat-1' });
  assert.equal(patient.patientId, 'pat-1');
});

test('authenticate: right password logs in; wrong password and unknown email get the same 401', async () => {
  const a = await service.create({ email: 'login@example.org', password: PASSWORD, roles: ['developer'] });
  const origin = { ip: '192.0.2.1' };
  assert.deepEqual(await service.authenticate('LOGIN@example.org', PASSWORD, origin), a);
  assert.deepEqual(lastEvent(), { kind: 'login', outcome: 'success', accountId: a.id, ip: '192.0.2.1' });
  const wrong = await rejectsWith(service.authenticate('login@example.org', 'not the password', origin), 'unauthorized', /^Wrong email or password$/);
  assert.deepEqual(lastEvent(), { kind: 'login', outcome: 'failure', accountId: a.id, ip: '192.0.2.1', detail: { reason: 'wrong-password' } });
  const unknown = await rejectsWith(service.authenticate('nobody@example.org', PASSWORD, origin), 'unauthorized', /^Wrong email or password$/);
  assert.deepEqual(lastEvent(), { kind: 'login', outcome: 'failure', accountId: undefined, ip: '192.0.2.1', detail: { reason: 'unknown-email' } });
  assert.equal(wrong.message, unknown.message);
  for (const [email, password] of [['', PASSWORD], ['login@example.org', ''], ['x'.repeat(300), PASSWORD]] as const) {
    await rejectsWith(service.authenticate(email, password, origin), 'unauthorized', /^Wrong email or password$/);
  }
  // Longer than any password that can be set: refused as malformed, before argon2 sees it.
  await rejectsWith(service.authenticate('login@example.org', 'p'.repeat(1_000_000), origin), 'unauthorized', /^Wrong email or password$/);
  assert.deepEqual(lastEvent()?.detail, { reason: 'malformed' });
  assert.ok(!JSON.stringify(events).includes(PASSWORD) && !JSON.stringify(events).includes('not the password'), 'no password in any event');
  // An account without a password (partner-dialect only) cannot log in with one.
  await service.create({ email: 'nopass@example.org', roles: ['practitioner'], practitionerId: 'pr-2' });
  await rejectsWith(service.authenticate('nopass@example.org', PASSWORD, origin), 'unauthorized', /^Wrong email or password$/);
});

test('authenticate records each attempt once, with the client the user signs in to', async () => {
  const a = await service.create({ email: 'app-login@example.org', password: PASSWORD, roles: ['developer'] });
  const origin = { ip: '192.0.2.9', clientId: 'app-1' };
  const before = events.length;
  await service.authenticate('app-login@example.org', PASSWORD, origin);
  await rejectsWith(service.authenticate('app-login@example.org', 'not the password', origin), 'unauthorized', /^Wrong email or password$/);
  assert.deepEqual(events.slice(before), [
    { kind: 'login', outcome: 'success', accountId: a.id, clientId: 'app-1', ip: '192.0.2.9' },
    { kind: 'login', outcome: 'failure', accountId: a.id, clientId: 'app-1', ip: '192.0.2.9', detail: { reason: 'wrong-password' } },
  ]);
});

test('a disabled account is refused, even with the right password', async () => {
  const a = await service.create({ email: 'gone@example.org', password: PASSWORD, roles: ['researcher'] });
  const disabled = await service.disable(a.id);
  assert.equal(disabled.disabled, true);
  assert.equal((await service.disable(a.id)).disabled, true, 'idempotent');
  await rejectsWith(service.authenticate('gone@example.org', PASSWORD, { ip: '192.0.2.2' }), 'unauthorized', /disabled/);
  await rejectsWith(service.authenticate('gone@example.org', 'a wrong password', { ip: '192.0.2.2' }), 'unauthorized', /^Wrong email or password$/);
  await rejectsWith(service.disable('nobody'), 'not-found', /No account nobody/);
});

test('throttling per account: locked after the limit (even the right password gets 429 + Retry-After); success resets', async () => {
  await service.create({ email: 'locked@example.org', password: PASSWORD, roles: ['developer'] });
  await service.create({ email: 'reset@example.org', password: PASSWORD, roles: ['developer'] });
  // Success resets the counter: two failures, a success, two more failures still leave it open.
  for (let i = 0; i < 2; i++) await rejectsWith(service.authenticate('reset@example.org', 'wrong password!', { ip: `198.51.100.${i}` }), 'unauthorized', /Wrong/);
  await service.authenticate('reset@example.org', PASSWORD, { ip: '198.51.100.9' });
  for (let i = 0; i < 2; i++) await rejectsWith(service.authenticate('reset@example.org', 'wrong password!', { ip: `198.51.100.${i}` }), 'unauthorized', /Wrong/);
  await service.authenticate('reset@example.org', PASSWORD, { ip: '198.51.100.9' });

  // Failures from different addresses all count against the account.
  for (let i = 0; i < LIMITS.accountFailures; i++) await rejectsWith(service.authenticate('locked@example.org', 'wrong password!', { ip: `203.0.113.${i}` }), 'unauthorized', /Wrong/);
  const e = await rejectsWith(service.authenticate('locked@example.org', PASSWORD, { ip: '203.0.113.99' }), 'too-many-requests', /Too many failed logins/);
  const retryAfter = Number(e.headers['Retry-After']);
  assert.ok(retryAfter > 0 && retryAfter <= LIMITS.windowSeconds, String(retryAfter));
  assert.deepEqual(lastEvent()?.detail, { reason: 'locked' });
  // An unknown email locks the same way, so lockouts do not reveal which emails exist.
  for (let i = 0; i < LIMITS.accountFailures; i++) await rejectsWith(service.authenticate('ghost@example.org', 'wrong password!', { ip: `203.0.113.${i}` }), 'unauthorized', /Wrong/);
  await rejectsWith(service.authenticate('GHOST@example.org', 'wrong password!', { ip: '203.0.113.98' }), 'too-many-requests', /Too many/);
});

test('throttling per address (IPv6: per /64): password spraying over many accounts is stopped', async () => {
  const ip = '2001:db8::1';
  for (let i = 0; i < LIMITS.ipFailures; i++) await rejectsWith(service.authenticate(`spray${i}@example.org`, 'Summer2024!!', { ip }), 'unauthorized', /Wrong/);
  await service.create({ email: 'victim@example.org', password: PASSWORD, roles: ['developer'] });
  const e = await rejectsWith(service.authenticate('victim@example.org', PASSWORD, { ip }), 'too-many-requests', /Too many/);
  assert.ok(Number(e.headers['Retry-After']) > 0);
  await rejectsWith(service.authenticate('victim@example.org', PASSWORD, { ip: '2001:db8::2' }), 'too-many-requests', /Too many/);
  const other = await service.authenticate('victim@example.org', PASSWORD, { ip: '2001:db8:0:1::2' });
  assert.equal(other.email, 'victim@example.org', 'another /64 is unaffected');
});

test('a lock ends with its window', async () => {
  const quick = createAccountService({ db: testDb.db, record: () => {}, throttle: { accountFailures: 1, ipFailures: 100, windowSeconds: 1 } });
  await quick.create({ email: 'window@example.org', password: PASSWORD, roles: ['developer'] });
  await rejectsWith(quick.authenticate('window@example.org', 'wrong password!', { ip: '192.0.2.50' }), 'unauthorized', /Wrong/);
  const e = await rejectsWith(quick.authenticate('window@example.org', PASSWORD, { ip: '192.0.2.50' }), 'too-many-requests', /Too many/);
  assert.equal(e.headers['Retry-After'], '1');
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await quick.authenticate('window@example.org', PASSWORD, { ip: '192.0.2.50' })).email, 'window@example.org');
});

test('organizations, teams and members', async () => {
  const org = await service.createOrganization({ name: ' Clinic North ', identifier: { system: 'urn:oid:2.16.840.1.113883.4.6', value: '1234567893' } });
  assert.deepEqual({ ...org, id: 'x' }, { id: 'x', kind: 'organization', parentId: undefined, name: 'Clinic North', identifier: { system: 'urn:oid:2.16.840.1.113883.4.6', value: '1234567893' } });
  await rejectsWith(service.createOrganization({ name: 'Copy', identifier: { system: 'urn:oid:2.16.840.1.113883.4.6', value: '1234567893' } }), 'version-conflict', /identifier .* exists already/);
  await rejectsWith(service.createOrganization({ name: '  ' }), 'bad-request', /name is empty/);
  await rejectsWith(service.createOrganization({ name: 'X', identifier: { system: '', value: '1' } }), 'bad-request', /system and a value/);
  const plain = await service.createOrganization({ name: 'Lab' });
  assert.equal(plain.identifier, undefined);

  const team = await service.createTeam(org.id, 'Cardiology');
  assert.deepEqual({ kind: team.kind, parentId: team.parentId, name: team.name }, { kind: 'team', parentId: org.id, name: 'Cardiology' });
  await rejectsWith(service.createTeam(team.id, 'Nested'), 'not-found', /team belongs to an organization/);
  await rejectsWith(service.createTeam('nope', 'Orphan'), 'not-found', /No organization nope/);
  const listed = (await service.listOrganizations()).map((o) => o.name);
  assert.deepEqual(listed.slice(listed.indexOf('Clinic North'), listed.indexOf('Clinic North') + 2), ['Clinic North', 'Cardiology'], 'a team follows its organization');
  assert.deepEqual(await service.findOrganization(team.id), team);

  const doc = await service.create({ email: 'doc@example.org', password: PASSWORD, roles: ['practitioner'], practitionerId: 'pr-9' });
  const boss = await service.create({ email: 'boss@example.org', password: PASSWORD, roles: ['admin'] });
  assert.deepEqual(await service.addMember(org.id, doc.id), { organization: org, role: 'member' });
  await service.addMember(team.id, doc.id, 'manager');
  await service.addMember(org.id, boss.id, 'member');
  assert.equal((await service.addMember(org.id, boss.id, 'manager')).role, 'manager', 'adding again changes the role');
  assert.deepEqual((await service.members(org.id)).map((m) => [m.account.email, m.role]), [['boss@example.org', 'manager'], ['doc@example.org', 'member']]);
  assert.deepEqual((await service.organizationsOf(doc.id)).map((m) => [m.organization.name, m.role]), [['Cardiology', 'manager'], ['Clinic North', 'member']]);
  await rejectsWith(service.addMember(org.id, 'nobody'), 'not-found', /No account nobody/);
  await rejectsWith(service.addMember('nowhere', doc.id), 'not-found', /No organization nowhere/);
  await rejectsWith(service.addMember(org.id, doc.id, 'owner' as never), 'bad-request', /Unknown member role owner/);
});
