import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { isFhirkeepError } from '../../errors/fhirkeep-error.js';
import { createSessionStore } from '../../storage/auth/session-store.js';
import type { SecurityEvent } from '../security-events.js';
import { createSessionService, SESSION_COOKIE, type SessionService } from '../sessions/session-service.js';
import { createAccountService, type AccountService } from './account-service.js';
import { changePasswordEverywhere } from './password-change.js';

let testDb: TestDatabase;
let accounts: AccountService;
let sessions: SessionService;
const events: SecurityEvent[] = [];
const OLD = 'the old passphrase';
const NEW = 'a brand new passphrase';
const ORIGIN = { ip: '192.0.2.1' };

before(async () => {
  testDb = await createTestDatabase();
  accounts = createAccountService({ db: testDb.db, record: (e) => events.push(e), throttle: { accountFailures: 3, ipFailures: 100, windowSeconds: 60 } });
  sessions = createSessionService({ store: createSessionStore(testDb.db.sql), accounts, secure: () => false });
});
after(() => testDb.drop());

const cookieOf = (setCookie: string) => setCookie.split(';')[0] ?? '';

async function refused(work: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(work, (e: unknown) => {
    assert.ok(isFhirkeepError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

test('a wrong current password is refused (403) and logged as a password check, not as a sign-in', async () => {
  const account = await accounts.create({ email: 'wrong@example.org', password: OLD, roles: ['developer'] });
  await refused(accounts.changePassword(account.id, 'not the password', NEW, ORIGIN), 'forbidden', /current password is wrong/);
  assert.deepEqual(
    events.slice(-2).map((e) => [e.kind, e.outcome, e.detail]),
    [
      ['login', 'failure', { reason: 'wrong-password', purpose: 'password-change' }],
      ['password-change', 'failure', { reason: 'wrong-password' }],
    ],
  );
  await accounts.authenticate('wrong@example.org', OLD, ORIGIN);
});

test('the policy refuses a short new password before the current one is tried; the same password is no change', async () => {
  const account = await accounts.create({ email: 'policy@example.org', password: OLD, roles: ['developer'] });
  const before = events.length;
  await refused(accounts.changePassword(account.id, 'not even checked', 'short', ORIGIN), 'bad-request', /at least 12 characters/);
  assert.deepEqual(events.slice(before).map((e) => e.kind), ['password-change'], 'no login attempt was made');
  await refused(accounts.changePassword(account.id, OLD, OLD, ORIGIN), 'bad-request', /must differ/);
  await accounts.authenticate('policy@example.org', OLD, ORIGIN);
});

test('guessing the current password hits the login throttle', async () => {
  const account = await accounts.create({ email: 'guess@example.org', password: OLD, roles: ['developer'] });
  for (let i = 0; i < 3; i++) await refused(accounts.changePassword(account.id, `guess ${i}`, NEW, ORIGIN), 'forbidden', /wrong/);
  await refused(accounts.changePassword(account.id, OLD, NEW, ORIGIN), 'too-many-requests', /Too many failed logins/);
  assert.deepEqual(events.at(-1), { kind: 'password-change', outcome: 'failure', accountId: account.id, ip: ORIGIN.ip, detail: { reason: 'locked' } });
});

test('a change stores the new password, ends every session of the account and renews this browser\'s', async () => {
  const account = await accounts.create({ email: 'change@example.org', password: OLD, roles: ['patient'], patientId: 'p-change' });
  const other = await accounts.create({ email: 'bystander@example.org', password: OLD, roles: ['developer'] });
  const here = cookieOf(await sessions.start(account.id, undefined));
  const elsewhere = cookieOf(await sessions.start(account.id, undefined));
  const bystander = cookieOf(await sessions.start(other.id, undefined));

  const renewed = await changePasswordEverywhere({ accounts, sessions }, account.id, { current: OLD, next: NEW }, { ip: ORIGIN.ip, cookieHeader: here });
  assert.match(renewed, new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+$`));
  assert.notEqual(cookieOf(renewed), here, 'a new session identifier');
  assert.equal(await sessions.sessionAccount(here), undefined, 'the old identifier of this browser is gone');
  assert.equal(await sessions.sessionAccount(elsewhere), undefined, 'another browser is signed out');
  assert.equal((await sessions.sessionAccount(cookieOf(renewed)))?.id, account.id);
  assert.equal((await sessions.sessionAccount(bystander))?.id, other.id, "another account's session stays");

  await refused(accounts.authenticate('change@example.org', OLD, ORIGIN), 'unauthorized', /Wrong email or password/);
  assert.equal((await accounts.authenticate('change@example.org', NEW, ORIGIN)).id, account.id);
  assert.ok(events.some((e) => e.kind === 'password-change' && e.outcome === 'success' && e.accountId === account.id && e.ip === ORIGIN.ip));
});
