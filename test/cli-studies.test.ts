/**
 * `fhirkeep study grant | revoke | list` (CONTRACT.md, docs/research.md): an operator authorizes
 * a research partner for a ResearchStudy named by id or identifier; anything that cannot be
 * granted (an unknown study or client, a client of another type, an identifier two studies
 * share) is refused with a message, and every grant and revocation is a security event.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { systemScope } from '../src/access/scope.js';
import { createIndexer } from '../src/search/index/indexer.js';
import { r4ParamRegistry } from '../src/search/params/param-registry.js';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { createResourceStore } from '../src/storage/resource-store.js';
import { typeOnlyClassifier } from './support/classifier.js';
import { cliOn } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let work: string;
let database: TestDatabase;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-studies-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
  const { sql } = database.db;
  await sql`insert into clients (id, type, name, public) values ('lab', 'research', 'Heart lab', false), ('svc', 'service', 'Feed', false)`;
  await sql`insert into clients (id, type, name, public, revoked_at) values ('gone', 'research', 'Closed lab', false, now())`;
  const store = createResourceStore(database.db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  const scope = systemScope('cli-studies test data');
  const study = (id: string, identifier?: string) => ({ resourceType: 'ResearchStudy', id, status: 'active', ...(identifier === undefined ? {} : { identifier: [{ system: 'urn:trials', value: identifier }] }) });
  for (const r of [study('heart', 'NCT-1'), study('lung'), study('twin-a', 'NCT-2'), study('twin-b', 'NCT-2')]) await store.update(scope, 'ResearchStudy', r.id, r);
});
after(async () => {
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const { cli, json } = cliOn(() => ({ databaseUrl: database.url, dataDir: join(work, 'data') }));

test('study grant by id or by identifier (resolved to the id); granting again keeps the first grant', async () => {
  const human = await cli('study', 'grant', '--client', 'lab', '--study', 'urn:trials|NCT-1');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^Granted client=lab {2}study=heart {2}\d{4}-/);
  const byId = await json('study', 'grant', '--client', 'lab', '--study', 'lung');
  assert.deepEqual([byId.grant.client_id, byId.grant.study_id, byId.grant.granted_by], ['lab', 'lung', undefined]);
  const again = await json('study', 'grant', '--client', 'lab', '--study', 'heart');
  const first = (await json('study', 'list', '--client', 'lab')).grants.find((g: { study_id: string }) => g.study_id === 'heart');
  assert.equal(again.grant.granted_at, first.granted_at);
  assert.deepEqual((await json('study', 'list')).grants.map((g: { study_id: string }) => g.study_id).sort(), ['heart', 'lung']);
});

test('what cannot be granted is refused with a message, and grants nothing', async () => {
  for (const [args, message] of [
    [['--client', 'lab', '--study', 'no-such-study'], /no ResearchStudy no-such-study/],
    [['--client', 'lab', '--study', 'urn:trials|NCT-9'], /no ResearchStudy/],
    [['--client', 'ghost', '--study', 'heart'], /no client ghost/],
    [['--client', 'svc', '--study', 'heart'], /service client, not a research partner/],
    [['--client', 'gone', '--study', 'heart'], /Client gone is revoked/],
    [['--client', 'lab', '--study', 'urn:trials|NCT-2'], /Several ResearchStudies have the identifier urn:trials\|NCT-2/],
  ] as const) {
    const result = await cli('study', 'grant', ...args);
    assert.equal(result.code, 1, args.join(' '));
    assert.match(result.stderr, message);
  }
  assert.equal((await json('study', 'list', '--client', 'svc')).grants.length, 0);
  assert.deepEqual((await json('study', 'list', '--client', 'lab')).grants.map((g: { study_id: string }) => g.study_id).sort(), ['heart', 'lung']);
});

test('study revoke by id or identifier; revoking what is not granted is an error; both are security events', async () => {
  const revoked = await json('study', 'revoke', '--client', 'lab', '--study', 'urn:trials|NCT-1');
  assert.deepEqual(revoked.revoked.map((g: { study_id: string }) => g.study_id), ['heart']);
  const again = await cli('study', 'revoke', '--client', 'lab', '--study', 'heart');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /holds no grant for the study heart/);
  assert.deepEqual((await json('study', 'list', '--client', 'lab')).grants.map((g: { study_id: string }) => g.study_id), ['lung']);
  const events = (await recentSecurityEvents(database.db.sql, 20)).filter((e) => e.clientId === 'lab').map((e) => [e.kind, e.detail?.['study']]);
  assert.deepEqual(events, [['study-revoke', 'heart'], ['study-grant', 'heart'], ['study-grant', 'lung'], ['study-grant', 'heart']]);
});
