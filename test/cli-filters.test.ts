import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createClientRegistry, type ClientRegistry } from '../src/auth/clients/client-registry.js';
import { createClientStore } from '../src/storage/auth/client-store.js';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { runCli, type CliResult } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let work: string;
let database: TestDatabase;
let registry: ClientRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-filters-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
  registry = await createClientRegistry({ store: createClientStore(database.db.sql), recordEvent: () => {} });
});
after(async () => {
  await registry.close();
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[], stdin?: string): Promise<CliResult> =>
  runCli(args, { FHIRKEEP_DATABASE_URL: database.url, FHIRKEEP_DATA_DIR: join(work, 'data'), FHIRKEEP_LOG_LEVEL: 'warn' }, stdin);
const file = (name: string, content: unknown) => {
  const path = join(work, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

test("filter set saves a client's filter, logs its users out, and filter get shows it", async () => {
  const { client } = await registry.register({ type: 'smart', name: 'Weight app', redirectUris: ['https://app.example/cb'] });
  const { sql } = database.db;
  await sql`insert into accounts (id, email, roles) values ('pat', 'pat@example.org', '{patient}')`;
  await sql`insert into grants (id, client_id, account_id, grant_type, scopes, expires_at)
            values (${crypto.randomUUID()}, ${client.id}, 'pat', 'authorization_code', '{patient/*.rs}', now() + interval '1 day')`;

  const set = await cli(['filter', 'set', client.id, file('f.json', { format: ['fhir/Observation', 'fhir/Patient'], owner: 'self', 'created-after': '2024-01-01' }), '--write-mode', 'update']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(
    set.stdout,
    `Saved the access filter of client ${client.id} (version 2)\nversion: 2   write mode: update   reach: consented\n` +
      '  - Observation and Patient records you own, created after 1 Jan 2024\nimplied scopes: user/Observation.rus user/Patient.rus\n' +
      '1 user authorizations revoked: users must confirm again\n',
  );
  const [grant] = await sql<{ revoked_at: Date | null }[]>`select revoked_at from grants where client_id = ${client.id}`;
  assert.notEqual(grant?.revoked_at, null, "the user's grant is revoked");
  assert.equal((await recentSecurityEvents(sql, 1))[0]?.kind, 'client-filter-change');

  const get = await cli(['--json', 'filter', 'get', client.id]);
  assert.equal(get.code, 0, get.stderr);
  assert.deepEqual(JSON.parse(get.stdout), {
    client_id: client.id,
    filter: { format: ['fhir/Observation', 'fhir/Patient'], owner: 'self', 'created-after': '2024-01-01' },
    filter_version: 2,
    write_mode: 'update',
    reach: 'consented',
    description: ['Observation and Patient records you own, created after 1 Jan 2024'],
    implied_scopes: ['user/Observation.rus', 'user/Patient.rus'],
  });

  const fromStdin = await cli(['--json', 'filter', 'set', client.id, '-', '--reach', 'all'], 'null');
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.deepEqual(
    (({ filter, filter_version, write_mode, reach, implied_scopes, revoked_grants }) => ({ filter, filter_version, write_mode, reach, implied_scopes, revoked_grants }))(JSON.parse(fromStdin.stdout)),
    { filter: null, filter_version: 3, write_mode: 'update', reach: 'all', implied_scopes: ['user/*.rus'], revoked_grants: 0 },
  );
});

test('filter set --keep-users-signed-in saves the filter and leaves the users\' grants alone', async () => {
  const { client } = await registry.register({ type: 'smart', name: 'Steps app', redirectUris: ['https://app.example/cb'] });
  const { sql } = database.db;
  await sql`insert into accounts (id, email, roles) values ('kim', 'kim@example.org', '{patient}')`;
  await sql`insert into grants (id, client_id, account_id, grant_type, scopes, expires_at)
            values (${crypto.randomUUID()}, ${client.id}, 'kim', 'authorization_code', '{patient/*.rs}', now() + interval '1 day')`;

  const set = await cli(['--json', 'filter', 'set', client.id, file('keep.json', { format: ['fhir/Observation'] }), '--keep-users-signed-in']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(JSON.parse(set.stdout).revoked_grants, 0);
  assert.equal(JSON.parse(set.stdout).filter_version, 2, 'the filter is saved (and users confirm it at their next sign-in)');
  const [grant] = await sql<{ revoked_at: Date | null }[]>`select revoked_at from grants where client_id = ${client.id}`;
  assert.equal(grant?.revoked_at, null, "the user's grant is left alone");
});

test('filter set refuses invalid filters, unreadable files and unknown clients with a clear message', async () => {
  const { client } = await registry.register({ type: 'service', name: 'Sync' });
  const refused = async (args: string[], message: string, stdin?: string) => {
    const res = await cli(args, stdin);
    assert.deepEqual([res.code, res.stderr], [1, `fhirkeep: ${message}\n`], args.join(' '));
  };
  await refused(['filter', 'set', client.id, file('bad.json', { $or: [{}, { owner: 'me' }] })], '$or[1].owner: "me" is not one of self, all');
  await refused(['filter', 'set', client.id, file('broken.json', '{"format": ')], `The filter file ${join(work, 'broken.json')} is not JSON`);
  await refused(['filter', 'set', client.id, '-'], 'The filter file - is not JSON', '');
  await refused(['filter', 'set', client.id, join(work, 'missing.json')], `Cannot read the filter file ${join(work, 'missing.json')}: ENOENT: no such file or directory, open '${join(work, 'missing.json')}'`);
  await refused(['filter', 'set', 'nobody', file('ok.json', {})], 'There is no client nobody');
  await refused(['filter', 'get', 'nobody'], 'There is no client nobody');
  const mode = await cli(['filter', 'set', client.id, file('ok.json', {}), '--write-mode', 'sometimes']);
  assert.equal(mode.code, 1);
  assert.match(mode.stderr, /Allowed choices are none, update, create, any/);
  assert.equal((await registry.find(client.id))?.filterVersion, 1, 'nothing was saved');
});
