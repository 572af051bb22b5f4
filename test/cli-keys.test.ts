import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAccountService, type AccountService } from '../src/auth/accounts/account-service.js';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { cliOn } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/** `fhirkeep key create|list|revoke` and `fhirkeep client manager`, run as a user runs them. */
let work: string;
let database: TestDatabase;
let accounts: AccountService;
let serviceId: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-keys-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
  accounts = createAccountService({ db: database.db, record: () => {} });
});
after(async () => {
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const { cli, json } = cliOn(() => ({ databaseUrl: database.url, dataDir: join(work, 'data') }));

test('key create prints the key id and, once, the secret (or the CN a certificate needs); list never shows secrets', async () => {
  serviceId = (await json('client', 'create', '--type', 'service', '--name', 'Lab feed')).client_id;

  const human = await cli('key', 'create', '--client', serviceId, '--type', 'static', '--name', 'nightly');
  assert.equal(human.code, 0, human.stderr);
  const shown = new RegExp(`^Created static key "nightly" for client ${serviceId}\\nkey_id: ([0-9a-f]{20})\\nsecret: (fhk_\\1_[A-Za-z0-9_-]{43})\\nThe secret is shown only now`).exec(human.stdout);
  assert.ok(shown, human.stdout);
  const staticSecret = shown[2] ?? '';

  const refresh = await json('key', 'create', '--client', serviceId, '--type', 'refresh');
  assert.match(refresh.secret, /^fhkr_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual([refresh.client_id, refresh.type, refresh.revoked, refresh.created_by], [serviceId, 'refresh', false, undefined]);
  const asJson = await json('key', 'create', '--client', serviceId, '--type', 'static');
  assert.match(asJson.secret, new RegExp(`^fhk_${asJson.key_id}_[A-Za-z0-9_-]{43}$`));
  assert.equal(typeof asJson.expires_at, 'string');

  const certificate = await cli('key', 'create', '--client', serviceId, '--type', 'certificate', '--name', 'gateway');
  assert.equal(certificate.code, 0, certificate.stderr);
  const id = /key_id: ([0-9a-f]{20})/.exec(certificate.stdout)?.[1] ?? '';
  assert.match(certificate.stdout, new RegExp(`certificate_cn: fhirkeep-key-${id}\\n.*fhirkeep cert sign --key ${id} CSR_FILE`));
  assert.doesNotMatch(certificate.stdout, /secret:/);
  const certificateJson = await json('key', 'create', '--client', serviceId, '--type', 'certificate');
  assert.deepEqual([certificateJson.certificate_cn, 'secret' in certificateJson], [`fhirkeep-key-${certificateJson.key_id}`, false]);

  const listed = await cli('--json', 'key', 'list', '--client', serviceId);
  assert.equal(listed.code, 0, listed.stderr);
  for (const secret of [staticSecret, refresh.secret, asJson.secret]) assert.equal(listed.stdout.includes(secret), false, 'a list never shows a secret');
  const { keys } = JSON.parse(listed.stdout) as { keys: { key_id: string; type: string; name?: string }[] };
  assert.deepEqual(keys.map((k) => [k.type, k.name]), [['static', 'nightly'], ['refresh', undefined], ['static', undefined], ['certificate', 'gateway'], ['certificate', undefined]]);
  const lines = (await cli('key', 'list', '--client', serviceId)).stdout;
  assert.match(lines, new RegExp(`^${id}  certificate  gateway  created \\S+  never used$`, 'm'));
  assert.match(lines, new RegExp(`^${shown[1]}  static       nightly  created \\S+  expires \\S+  never used$`, 'm'));
  assert.equal(lines.includes(staticSecret), false);
});

test('key revoke: at once, twice harmlessly, audited; the list marks it', async () => {
  const made = await json('key', 'create', '--client', serviceId, '--type', 'static', '--name', 'short-lived');
  const revoked = await cli('key', 'revoke', made.key_id);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.stdout, `Revoked static key ${made.key_id} of client ${serviceId}\n`);
  const again = await json('key', 'revoke', made.key_id);
  assert.deepEqual([again.key_id, again.revoked, typeof again.revoked_at], [made.key_id, true, 'string']);
  assert.match((await cli('key', 'list', '--client', serviceId)).stdout, new RegExp(`^${made.key_id}  static +short-lived .*\\[revoked\\]$`, 'm'));
  // The CLI exits only after its security events are written; the operator has no account.
  const events = (await recentSecurityEvents(database.db.sql, 100)).filter((e) => e.detail?.key_id === made.key_id);
  assert.deepEqual(events.map((e) => [e.kind, e.clientId, e.accountId]), [['key-revoke', serviceId, undefined], ['key-revoke', serviceId, undefined], ['key-create', serviceId, undefined]]);
});

test('client manager prints the manager and hands management to an account (id or email) or a team', async () => {
  const dev = await accounts.create({ email: 'dev@example.org', password: 'correct horse battery', roles: ['developer'] });
  const organization = await accounts.createOrganization({ name: 'Lab Co' });
  const team = await accounts.createTeam(organization.id, 'Integrations');

  const none = await cli('client', 'manager', serviceId);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, `Client ${serviceId} is managed by nobody: only admins and the operator manage its keys\n`);
  assert.deepEqual(await json('client', 'manager', serviceId), { kind: 'none' });

  const byEmail = await cli('client', 'manager', serviceId, '--account', 'dev@example.org');
  assert.equal(byEmail.code, 0, byEmail.stderr);
  assert.equal(byEmail.stdout, `Client ${serviceId} is now managed by account ${dev.id} (dev@example.org)\n`);
  assert.deepEqual(await json('client', 'manager', serviceId), { kind: 'account', id: dev.id });
  assert.deepEqual(await json('client', 'manager', serviceId, '--account', dev.id), { kind: 'account', id: dev.id });

  assert.deepEqual(await json('client', 'manager', serviceId, '--org', team.id), { kind: 'organization', id: team.id });
  assert.equal((await cli('client', 'manager', serviceId)).stdout, `Client ${serviceId} is managed by the members of team ${team.id} (Integrations)\n`);

  const events = (await recentSecurityEvents(database.db.sql, 100)).filter((e) => e.kind === 'client-manager-change');
  assert.deepEqual(events.map((e) => e.detail?.manager), [{ kind: 'organization', id: team.id }, { kind: 'account', id: dev.id }, { kind: 'account', id: dev.id }]);

  const unknownUser = await cli('client', 'manager', serviceId, '--account', 'nobody@example.org');
  assert.deepEqual([unknownUser.code, unknownUser.stderr.trim()], [1, 'fhirkeep: No user nobody@example.org']);
  const unknownOrg = await cli('client', 'manager', serviceId, '--org', 'no-such-org');
  assert.equal(unknownOrg.code, 1);
  assert.match(unknownOrg.stderr, /fhirkeep: There is no organization no-such-org/);
  const both = await cli('client', 'manager', serviceId, '--account', dev.id, '--org', team.id);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /cannot be used with option '--org <org-id>'/);
  assert.deepEqual(await json('client', 'manager', serviceId), { kind: 'organization', id: team.id }, 'a refused hand-over changes nothing');
});

test('bad input: clear messages and a non-zero exit', async () => {
  const noClient = await cli('key', 'create', '--type', 'static');
  assert.notEqual(noClient.code, 0);
  assert.match(noClient.stderr, /required option '--client <client-id>' not specified/);
  const badType = await cli('key', 'create', '--client', serviceId, '--type', 'ssh');
  assert.notEqual(badType.code, 0);
  assert.match(badType.stderr, /Allowed choices are static, refresh, certificate/);

  for (const args of [['key', 'create', '--client', 'no-such-client', '--type', 'static'], ['key', 'list', '--client', 'no-such-client'], ['client', 'manager', 'no-such-client']]) {
    const unknown = await cli(...args);
    assert.deepEqual([unknown.code, unknown.stderr.trim()], [1, 'fhirkeep: There is no client no-such-client'], args.join(' '));
  }
  const unknownKey = await cli('--json', 'key', 'revoke', '00000000000000000000');
  assert.equal(unknownKey.code, 1);
  assert.deepEqual(JSON.parse(unknownKey.stderr.trim().split('\n').at(-1) ?? ''), { error: 'There is no key 00000000000000000000' });

  const app = await json('client', 'create', '--type', 'smart', '--name', 'Chart', '--public', '--redirect-uri', 'https://chart.example/cb');
  const smart = await cli('key', 'create', '--client', app.client_id, '--type', 'static');
  assert.equal(smart.code, 1);
  assert.match(smart.stderr, /fhirkeep: A SMART app signs users in; API keys are for services, data brokers and research partners/);
  const broker = await json('client', 'create', '--type', 'broker', '--name', 'Old broker');
  await json('client', 'revoke', broker.client_id);
  const revoked = await cli('key', 'create', '--client', broker.client_id, '--type', 'refresh');
  assert.deepEqual([revoked.code, revoked.stderr.trim()], [1, `fhirkeep: The client ${broker.client_id} is revoked`]);
  const long = await cli('key', 'create', '--client', serviceId, '--type', 'static', '--name', 'x'.repeat(201));
  assert.deepEqual([long.code, long.stderr.trim()], [1, 'fhirkeep: name must be 1 to 200 characters']);
});
