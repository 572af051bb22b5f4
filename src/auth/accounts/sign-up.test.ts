import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { isFhirkeepError } from '../../errors/fhirkeep-error.js';
import type { SecurityEvent } from '../security-events.js';
import { createAccountService, type AccountService } from './account-service.js';
import { signUp, type NewPatient, type SignUpInput } from './sign-up.js';

let testDb: TestDatabase;
let accounts: AccountService;
const events: SecurityEvent[] = [];
const PASSWORD = 'a sign-up passphrase';
/** Sign-ups per address in these tests; each test signs up from its own address unless it tests the limit. */
const PER_ADDRESS = 3;

before(async () => {
  testDb = await createTestDatabase();
  accounts = createAccountService({ db: testDb.db, record: (e) => events.push(e), signUpsPerAddress: PER_ADDRESS });
});
after(() => testDb.drop());

/** A Patient writer that keeps what it was asked to write, or fails when told to. */
function patients(fail = false) {
  const written: NewPatient[] = [];
  return {
    written,
    write: async (patient: NewPatient) => {
      if (fail) throw new Error('the database went away');
      written.push(patient);
    },
  };
}

let address = 0;
const input = (fields: Partial<SignUpInput>): SignUpInput => ({ role: 'patient', email: 'x@example.org', password: PASSWORD, name: 'Ada Holder', ip: `192.0.2.${++address}`, ...fields });

async function refused(work: Promise<unknown>, code: string): Promise<{ message: string; details: readonly { expression?: string }[]; headers: Readonly<Record<string, string>> }> {
  try {
    await work;
  } catch (e) {
    assert.ok(isFhirkeepError(e), String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('an account holder gets the patient role and a Patient of their own, named as they gave, owned by the account', async () => {
  const store = patients();
  const account = await signUp({ accounts, writePatient: store.write }, input({ email: 'holder@example.org', name: '  Ada Holder ' }));
  assert.deepEqual(account.roles, ['patient']);
  assert.equal(account.displayName, 'Ada Holder');
  assert.match(account.patientId ?? '', /^[0-9a-f-]{36}$/);
  assert.deepEqual(store.written, [{ id: account.patientId, name: 'Ada Holder', accountId: account.id }]);
});

test('a developer gets the developer role and no Patient', async () => {
  const store = patients();
  const account = await signUp({ accounts, writePatient: store.write }, input({ role: 'developer', email: 'dev@example.org', name: '' }));
  assert.deepEqual(account.roles, ['developer']);
  assert.equal(account.patientId, undefined);
  assert.equal(account.displayName, undefined);
  assert.deepEqual(store.written, []);
});

test('a taken email is the account service\'s conflict, and no Patient is written', async () => {
  await signUp({ accounts, writePatient: patients().write }, input({ email: 'taken@example.org' }));
  const store = patients();
  const e = await refused(signUp({ accounts, writePatient: store.write }, input({ email: 'TAKEN@example.org' })), 'version-conflict');
  assert.match(e.message, /exists already/);
  assert.deepEqual(store.written, []);
});

test('no role but patient or developer, a holder without a name, and the policy\'s problems come back together', async () => {
  const store = patients();
  const admin = await refused(signUp({ accounts, writePatient: store.write }, input({ role: 'admin', email: 'admin-wannabe@example.org' })), 'bad-request');
  assert.deepEqual(admin.details.map((d) => d.expression), ['role']);
  const all = await refused(signUp({ accounts, writePatient: store.write }, input({ email: 'not an email', password: 'short', name: ' ' })), 'bad-request');
  assert.deepEqual(all.details.map((d) => d.expression).sort(), ['email', 'name', 'password']);
  assert.match(all.message, /at least 12 characters/);
  assert.equal(await accounts.findByEmail('admin-wannabe@example.org'), undefined);
  assert.deepEqual(store.written, []);
});

test('when the Patient cannot be written, the new account is deleted again and the email is free', async () => {
  await assert.rejects(signUp({ accounts, writePatient: patients(true).write }, input({ email: 'rollback@example.org' })), /the database went away/);
  assert.equal(await accounts.findByEmail('rollback@example.org'), undefined);
  assert.deepEqual(events.at(-1), { kind: 'account-create', outcome: 'failure', accountId: events.at(-1)?.accountId, detail: { reason: 'sign-up undone' } });
  const again = await signUp({ accounts, writePatient: patients().write }, input({ email: 'rollback@example.org' }));
  assert.deepEqual(again.roles, ['patient']);
});

test('sign-ups are counted per address, whatever their outcome; an IPv6 /64 counts as one address', async () => {
  const store = patients();
  const ip = '198.51.100.7';
  await signUp({ accounts, writePatient: store.write }, input({ email: 'limit-1@example.org', ip }));
  await refused(signUp({ accounts, writePatient: store.write }, input({ email: 'limit-1@example.org', ip })), 'version-conflict');
  await refused(signUp({ accounts, writePatient: store.write }, input({ email: 'limit-2@example.org', password: 'short', ip })), 'bad-request');
  const locked = await refused(signUp({ accounts, writePatient: store.write }, input({ email: 'limit-3@example.org', ip })), 'too-many-requests');
  assert.match(locked.message, /Too many sign-ups/);
  assert.match(locked.headers['Retry-After'] ?? '', /^\d+$/);
  assert.equal(await accounts.findByEmail('limit-3@example.org'), undefined);
  assert.ok(await signUp({ accounts, writePatient: store.write }, input({ email: 'limit-4@example.org', ip: '198.51.100.8' })), 'another address is not locked');

  for (const [i, v6] of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3'].entries()) {
    await signUp({ accounts, writePatient: store.write }, input({ email: `v6-${i}@example.org`, ip: v6 }));
  }
  await refused(signUp({ accounts, writePatient: store.write }, input({ email: 'v6-3@example.org', ip: '2001:db8:1:2::4' })), 'too-many-requests');
});
