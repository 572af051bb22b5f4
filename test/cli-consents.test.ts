import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { openRevocationView, type RevocationView } from '../src/auth/tokens/revocation-view.js';
import { createRevocationFeed } from '../src/storage/auth/revocation-feed.js';
import { cliOn } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let work: string;
let database: TestDatabase;
/** What a running server holds: its revocation view, kept current by NOTIFY. */
let serverView: RevocationView;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-consents-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
  const { sql } = database.db;
  await sql`insert into accounts (id, email, roles, patient_id) values ('acc-1', 'holder@example.org', '{patient}', 'pat-1'), ('acc-2', 'dev@example.org', '{developer}', null)`;
  await sql`insert into organizations (id, name) values ('clinic', 'Clinic')`;
  await sql`insert into clients (id, type, name, public) values ('app', 'smart', 'App', true), ('svc', 'service', 'Lab feed', false), ('brk', 'broker', 'Broker', false)`;
  serverView = await openRevocationView(createRevocationFeed(sql), pino({ level: 'silent' }));
});
after(async () => {
  await serverView.close();
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const { cli, json } = cliOn(() => ({ databaseUrl: database.url, dataDir: join(work, 'data') }));

test('consent grant: an app, a subscription (service client), a sharing and a broker consent; the holder named by email or id', async () => {
  const human = await cli('consent', 'grant', '--patient', 'holder@example.org', '--client', 'app', '--scope', 'openid patient/*.rs');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^Granted [0-9a-f-]{36} {2}app +active +account=acc-1 {2}client=app {2}filter v1\n$/);
  const subscription = await json('consent', 'grant', '--patient', 'acc-1', '--client', 'svc');
  assert.deepEqual([subscription.consent.kind, subscription.consent.patient, subscription.consent.sharing], ['service', 'pat-1', true]);
  assert.equal((await json('consent', 'grant', '--patient', 'acc-1', '--org', 'clinic')).consent.kind, 'organization');
  const broker = await json('consent', 'grant', '--org', 'clinic', '--client', 'brk', '--status', 'proposed');
  assert.deepEqual([broker.consent.kind, broker.consent.status], ['broker', 'proposed']);
});

test('consent list: all, or by holder, client or organization', async () => {
  assert.equal((await json('consent', 'list')).consents.length, 4);
  assert.equal((await json('consent', 'list', '--patient', 'holder@example.org')).consents.length, 3);
  assert.deepEqual((await json('consent', 'list', '--client', 'svc')).consents.map((c: { kind: string }) => c.kind), ['service']);
  assert.deepEqual(new Set((await json('consent', 'list', '--org', 'clinic')).consents.map((c: { kind: string }) => c.kind)), new Set(['organization', 'broker']));
  const human = await cli('consent', 'list', '--client', 'app');
  assert.match(human.stdout, /app +active +account=acc-1 {2}client=app {2}filter v1/);
});

test('consent revoke by parties or by id: the app’s grants die on a running server at once', async () => {
  const grantId = randomUUID();
  await database.db.sql`insert into grants (id, client_id, account_id, grant_type, scopes, expires_at)
                        values (${grantId}, 'app', 'acc-1', 'authorization_code', '{}', now() + interval '1 hour')`;
  const token = { gid: grantId, client_id: 'app', account: 'acc-1' };
  assert.equal(serverView.isRevoked(token), false);
  const revoked = await json('consent', 'revoke', '--patient', 'holder@example.org', '--client', 'app');
  assert.equal(revoked.consent.status, 'inactive');
  for (let i = 0; i < 50 && !serverView.isRevoked(token); i++) await sleep(20);
  assert.equal(serverView.isRevoked(token), true, 'the NOTIFY reached the server');

  const broker = (await json('consent', 'list', '--client', 'brk')).consents[0];
  assert.equal((await json('consent', 'revoke', broker.id)).consent.status, 'inactive', 'proposed → inactive: withdrawn before it took effect');
});

test('errors: a clear message and a non-zero exit', async () => {
  const noPatient = await cli('consent', 'grant', '--patient', 'dev@example.org', '--client', 'svc');
  assert.equal(noPatient.code, 1);
  assert.match(noPatient.stderr, /has no linked Patient/);
  const unknown = await cli('consent', 'grant', '--patient', 'nobody@example.org', '--client', 'app');
  assert.match(unknown.stderr, /No user nobody@example.org/);
  const ambiguous = await cli('consent', 'revoke', '--client', 'app');
  assert.match(ambiguous.stderr, /by two parties/);
  const none = await cli('consent', 'revoke', '--patient', 'acc-1', '--client', 'brk');
  assert.match(none.stderr, /no consent between these parties/);
  const badId = await cli('consent', 'revoke', 'not-a-consent');
  assert.match(badId.stderr, /no consent not-a-consent/);
  const wrongKind = await cli('consent', 'grant', '--kind', 'service', '--patient', 'acc-1', '--client', 'app');
  assert.match(wrongKind.stderr, /client: a service consent is given to a service client/);
  const badKind = await cli('consent', 'grant', '--kind', 'friendship', '--patient', 'acc-1', '--client', 'app');
  assert.notEqual(badKind.code, 0);
});
