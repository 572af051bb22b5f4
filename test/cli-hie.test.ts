/**
 * `fhirkeep hie token create|list|revoke` and `fhirkeep user profile|group|activate|deactivate`,
 * run as a user runs them (CONTRACT.md; docs/hie.md).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAccountService } from '../src/auth/accounts/account-service.js';
import { createHieService, type HieService } from '../src/auth/dialects/hie/hie-service.js';
import { cliOn } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let work: string;
let database: TestDatabase;
let hie: HieService;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-hie-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
  const record = () => {};
  hie = createHieService({ db: database.db, accounts: createAccountService({ db: database.db, record }), record });
});
after(async () => {
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const { cli, json } = cliOn(() => ({ databaseUrl: database.url, dataDir: join(work, 'data') }));

test("hie token create prints the client_id and, once, the X-Auth-Token; they authenticate until revoked; list never shows tokens", async () => {
  const org = (await json('org', 'create', '--name', 'Upazila Health Complex')).id as string;
  const human = await cli('hie', 'token', 'create', '--org', org);
  assert.equal(human.code, 0, human.stderr);
  const shown = new RegExp(`^Created HIE credentials for organization ${org}\\nclient_id: ([0-9a-f]{20})\\nX-Auth-Token: ([A-Za-z0-9_-]{43})\\nThe X-Auth-Token is shown only now`).exec(human.stdout);
  assert.ok(shown, human.stdout);
  const [clientId, token] = [shown[1] ?? '', shown[2] ?? ''];
  assert.equal((await hie.clients.authenticate(clientId, token)).organizationId, org);

  const made = await json('hie', 'token', 'create', '--org', org);
  assert.deepEqual([made.organization_id, made.revoked, typeof made.x_auth_token], [org, false, 'string']);

  const listed = await cli('--json', 'hie', 'token', 'list');
  assert.equal(listed.code, 0, listed.stderr);
  for (const secret of [token, made.x_auth_token as string]) assert.equal(listed.stdout.includes(secret), false, 'a list never shows a token');
  assert.deepEqual((JSON.parse(listed.stdout) as { clients: { client_id: string }[] }).clients.map((c) => c.client_id), [clientId, made.client_id]);

  const revoked = await json('hie', 'token', 'revoke', clientId);
  assert.equal(revoked.revoked, true);
  await assert.rejects(hie.clients.authenticate(clientId, token), /not valid API credentials/);
  assert.match((await cli('hie', 'token', 'list')).stdout, new RegExp(`^${clientId}  organization ${org}  created \\S+  \\[revoked\\]$`, 'm'));

  const unknown = await cli('hie', 'token', 'create', '--org', 'no-such-org');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No organization no-such-org/);
  assert.match((await cli('hie', 'token', 'revoke', 'nope')).stderr, /No HIE client nope/);
});

test('user profile add|list|remove, group add|remove, activate|deactivate', async () => {
  await json('user', 'create', '--email', 'dr@example.org', '--password', 'correct horse battery staple', '--role', 'developer');
  const added = await json('user', 'profile', 'add', 'dr@example.org', '--type', 'provider', '--id', '1001', '--catchment', '302618', '--catchment', '3026');
  assert.deepEqual(added.profiles, [{ type: 'provider', id: '1001', catchment: ['3026', '302618'] }]);
  const human = await cli('user', 'profile', 'add', 'dr@example.org', '--type', 'patient', '--id', 'pat-1');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^dr@example.org has the patient profile pat-1\n {2}patient pat-1\n {2}provider 1001 {2}catchment 3026, 302618\n$/);

  // Replacing the catchments of the same profile.
  assert.deepEqual((await json('user', 'profile', 'add', 'dr@example.org', '--type', 'provider', '--id', '1001', '--catchment', '40')).profiles[1], { type: 'provider', id: '1001', catchment: ['40'] });

  for (const [args, message] of [
    [['--type', 'provider', '--id', '1002', '--catchment', '302'], /The catchment "302" is not an area code/],
    [['--type', 'provider', '--id', '1002'], /needs at least one catchment/],
    [['--type', 'patient', '--id', 'p', '--catchment', '30'], /A patient profile has no catchment/],
    [['--type', 'doctor', '--id', '1', '--catchment', '30'], /Allowed choices are provider, admin, facility, patient/],
  ] as const) {
    const r = await cli('user', 'profile', 'add', 'dr@example.org', ...args);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, message);
  }
  assert.match((await cli('user', 'profile', 'add', 'nobody@example.org', '--type', 'patient', '--id', 'p')).stderr, /No user nobody@example.org/);

  assert.deepEqual((await json('user', 'group', 'add', 'dr@example.org', 'MCI Admin')).groups, ['MCI Admin']);
  assert.deepEqual((await json('user', 'group', 'add', 'dr@example.org', 'API Consumer')).groups, ['API Consumer', 'MCI Admin']);
  assert.deepEqual((await json('user', 'group', 'remove', 'dr@example.org', 'MCI Admin')).groups, ['API Consumer']);
  assert.match((await cli('user', 'group', 'remove', 'dr@example.org', 'MCI Admin')).stderr, /not in the group MCI Admin/);

  assert.equal((await json('user', 'deactivate', 'dr@example.org')).activated, false);
  assert.match((await cli('user', 'profile', 'list', 'dr@example.org')).stdout, /^dr@example.org {2}\[not activated\]\n {2}patient pat-1\n {2}provider 1001 {2}catchment 40\ngroups: API Consumer\n$/);
  assert.equal((await json('user', 'activate', 'dr@example.org')).activated, true);

  assert.deepEqual((await json('user', 'profile', 'remove', 'dr@example.org', '--type', 'patient', '--id', 'pat-1')).profiles, [{ type: 'provider', id: '1001', catchment: ['40'] }]);
  assert.match((await cli('user', 'profile', 'remove', 'dr@example.org', '--type', 'patient', '--id', 'pat-1')).stderr, /no patient profile pat-1/);
  const info = await hie.accounts.find('dr@example.org');
  assert.ok(info.updatedAt > info.createdAt, 'changes touch the account');
});
