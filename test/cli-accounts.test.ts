import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAccountService } from '../src/auth/accounts/account-service.js';
import { runCli, type CliResult } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let work: string;
let database: TestDatabase;
let env: Record<string, string>;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-accounts-'));
  database = await createTestDatabase();
  env = { FHIRKEEP_DATABASE_URL: database.url, FHIRKEEP_DATA_DIR: join(work, 'data'), FHIRKEEP_LOG_LEVEL: 'warn' };
});
after(async () => {
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: readonly string[], stdin?: string) => runCli(args, env, stdin);

/** Runs with --json and parses stdout; the exit code must be 0. */
async function json<T>(args: readonly string[], stdin?: string): Promise<T> {
  const r = await cli(['--json', ...args], stdin);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

function fails(r: CliResult, message: RegExp): void {
  assert.notEqual(r.code, 0, r.stdout);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, message);
}

interface AccountJson {
  id: string;
  email: string;
  roles: string[];
  patientId?: string;
  displayName?: string;
  disabled: boolean;
}

test('user create (several roles, --json), user list, and the account can log in', async () => {
  const made = await json<AccountJson>(['user', 'create', '--email', 'Pat@Example.org', '--password', 'correct horse battery', '--role', 'patient', '--role', 'developer', '--patient', 'pat-1', '--name', 'Pat Q']);
  assert.deepEqual({ ...made, id: '' }, { id: '', email: 'Pat@Example.org', roles: ['patient', 'developer'], patientId: 'pat-1', displayName: 'Pat Q', disabled: false });
  const human = await cli(['user', 'create', '--email', 'dev@example.org', '--password', 'correct horse battery', '--role', 'developer']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^Created user [0-9a-f-]{36} dev@example.org \(developer\)\n$/);

  const { users } = await json<{ users: AccountJson[] }>(['user', 'list']);
  assert.deepEqual(users.map((u) => u.email), ['Pat@Example.org', 'dev@example.org']);
  assert.ok(!JSON.stringify(users).includes('argon2'));
  const listed = await cli(['user', 'list']);
  assert.match(listed.stdout, /Pat@Example.org {2}patient,developer {2}Pat Q {2}Patient\/pat-1/);

  const service = createAccountService({ db: database.db, record: () => {} });
  assert.equal((await service.authenticate('pat@example.org', 'correct horse battery', { ip: '127.0.0.1' })).id, made.id);
});

test('--password - reads the password from standard input', async () => {
  const made = await json<AccountJson>(['user', 'create', '--email', 'stdin@example.org', '--password', '-', '--role', 'researcher'], 'a password from a pipe\n');
  const service = createAccountService({ db: database.db, record: () => {} });
  assert.equal((await service.authenticate('stdin@example.org', 'a password from a pipe', { ip: '127.0.0.1' })).id, made.id, 'the final newline is not part of it');
  fails(await cli(['user', 'create', '--email', 'empty@example.org', '--password', '-', '--role', 'researcher'], ''), /empty password/);
});

test('user create refuses bad input with a clear message and a non-zero exit', async () => {
  const create = (...extra: string[]) => cli(['user', 'create', '--email', 'bad@example.org', '--password', 'correct horse battery', ...extra]);
  fails(await create('--role', 'superuser'), /fhirkeep: Unknown role superuser \(known: patient, practitioner, researcher, developer, admin\)/);
  fails(await create(), /at least one role/);
  fails(await create('--role', 'patient'), /patient role needs the id/);
  fails(await cli(['user', 'create', '--email', 'bad@example.org', '--password', 'short', '--role', 'admin']), /at least 12 characters/);
  fails(await cli(['user', 'create', '--email', 'not-an-email', '--password', 'correct horse battery', '--role', 'admin']), /Not an email address/);
  fails(await cli(['user', 'create', '--password', 'correct horse battery', '--role', 'admin']), /required option '--email <email>'/);
  const dup = await cli(['--json', 'user', 'create', '--email', 'DEV@example.org', '--password', 'correct horse battery', '--role', 'admin']);
  fails(dup, /exists already/);
  assert.deepEqual(JSON.parse(dup.stderr), { error: 'An account with the email DEV@example.org exists already' });
});

test('user disable, by email', async () => {
  const disabled = await json<AccountJson>(['user', 'disable', 'dev@example.org']);
  assert.equal(disabled.disabled, true);
  fails(await cli(['user', 'disable', 'nobody@example.org']), /No user nobody@example.org/);
});

test('org create, team create, member add and list, org list; errors for unknown ids and bad roles', async () => {
  const org = await json<{ id: string; name: string; identifier: { system: string; value: string } }>(['org', 'create', '--name', 'Clinic North', '--identifier', 'http://hl7.org/fhir/sid/us-npi|1234567893']);
  assert.deepEqual(org.identifier, { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' });
  fails(await cli(['org', 'create', '--name', 'Copy', '--identifier', 'http://hl7.org/fhir/sid/us-npi|1234567893']), /exists already/);
  fails(await cli(['org', 'create', '--name', 'X', '--identifier', 'no-bar']), /SYSTEM\|VALUE/);
  const team = await json<{ id: string; kind: string; parentId: string }>(['org', 'team', 'create', org.id, '--name', 'Cardiology']);
  assert.deepEqual([team.kind, team.parentId], ['team', org.id]);
  fails(await cli(['org', 'team', 'create', 'nope', '--name', 'X']), /No organization nope/);

  const added = await json<{ role: string; organization: { id: string }; account: { email: string } }>(['org', 'member', 'add', org.id, 'pat@example.org', '--role', 'manager']);
  assert.deepEqual([added.role, added.organization.id, added.account.email], ['manager', org.id, 'Pat@Example.org']);
  const human = await cli(['org', 'member', 'add', team.id, 'pat@example.org']);
  assert.match(human.stdout, /^Pat@Example.org is a member of team [0-9a-f-]{36} {2}Cardiology\n$/);
  const { members } = await json<{ members: { account: { email: string }; role: string }[] }>(['org', 'member', 'list', org.id]);
  assert.deepEqual(members.map((m) => [m.account.email, m.role]), [['Pat@Example.org', 'manager']]);
  fails(await cli(['org', 'member', 'add', org.id, 'nobody@example.org']), /No user nobody@example.org/);
  fails(await cli(['org', 'member', 'add', 'nowhere', 'pat@example.org']), /No organization nowhere/);
  fails(await cli(['org', 'member', 'add', org.id, 'pat@example.org', '--role', 'owner']), /Unknown member role owner/);

  const listed = await cli(['org', 'list']);
  assert.match(listed.stdout, /^[0-9a-f-]{36} {2}Clinic North {2}http:\/\/hl7.org\/fhir\/sid\/us-npi\|1234567893\n {2}team [0-9a-f-]{36} {2}Cardiology\n$/);
});
