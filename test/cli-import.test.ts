import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { systemScope } from '../src/access/scope.js';
import { parseConfig } from '../src/config/load.js';
import { openDatabase, type Database } from '../src/storage/database.js';
import { createResourceStore } from '../src/storage/resource-store.js';
import { createIndexer } from '../src/search/index/indexer.js';
import { r4ParamRegistry } from '../src/search/params/param-registry.js';
import { runCli } from './support/cli.js';
import { typeOnlyClassifier } from './support/classifier.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { foreignAuditEvent } from './support/foreign-audit-event.js';

let work: string;
let database: TestDatabase;
let db: Database;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-import-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
  db = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: database.url }), pino({ level: 'silent' }));
});
after(async () => {
  await db.close();
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

interface ImportSummary {
  resources: number;
  skipped: number;
  auditEventsLeftOut: number;
  failures: { file: string; reason: string }[];
}

async function runImport(...paths: string[]): Promise<{ code: number | null; summary: ImportSummary }> {
  const { code, stdout, stderr } = await runCli(['--json', 'import', ...paths], { FHIRKEEP_DATABASE_URL: database.url, FHIRKEEP_DATA_DIR: join(work, 'data') });
  assert.ok(stdout.trim() !== '', stderr);
  return { code, summary: JSON.parse(stdout) };
}

const patient = (id: string) => ({ resourceType: 'Patient', id, gender: 'female' });

test('imports transaction, collection and gzipped bundles and ndjson; reports failures; resumes', async () => {
  const dir = join(work, 'in');
  mkdirSync(join(dir, 'nested'), { recursive: true });
  writeFileSync(
    join(dir, 'a-transaction.json'),
    JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:p1', resource: { resourceType: 'Patient', gender: 'male' }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: 'urn:uuid:p1' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    }),
  );
  writeFileSync(join(dir, 'b-collection.json.gz'), gzipSync(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient('imp-1') }, { resource: patient('imp-2') }] })));
  writeFileSync(join(dir, 'nested', 'c.ndjson'), [patient('imp-3'), patient('imp-4'), { resourceType: 'Patient', id: 'imp-bad', gender: 42 }, patient('imp-5')].map((r) => JSON.stringify(r)).join('\n'));
  writeFileSync(join(dir, 'd-broken.json'), '{"resourceType": "Bundle", ');
  writeFileSync(join(dir, 'ignored.txt'), 'not FHIR');

  const first = await runImport(dir);
  assert.equal(first.code, 1, 'failures make the exit code non-zero');
  assert.equal(first.summary.resources, 2 + 2 + 3, JSON.stringify(first.summary));
  const reasons = first.summary.failures.map((f) => `${f.file.split('/').pop()}: ${f.reason}`);
  assert.equal(reasons.length, 2, JSON.stringify(reasons));
  assert.ok(reasons.some((r) => r.startsWith('c.ndjson: line 3')), JSON.stringify(reasons));
  assert.ok(reasons.some((r) => r.startsWith('d-broken.json: not valid JSON')), JSON.stringify(reasons));

  const store = createResourceStore(db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  const scope = systemScope('test');
  for (const id of ['imp-1', 'imp-2', 'imp-3', 'imp-4', 'imp-5']) assert.equal((await store.read(scope, 'Patient', id))?.deleted, false, id);
  assert.equal(await store.read(scope, 'Patient', 'imp-bad'), undefined);

  const again = await runImport(dir);
  assert.equal(again.summary.skipped, 3, 'finished files are not imported twice');
  assert.equal(again.summary.resources, 0);
});

test('AuditEvents are left out of ndjson and collection Bundles and counted; a transaction holding one is refused whole, saying why', async () => {
  const dir = join(work, 'audit');
  mkdirSync(dir, { recursive: true });
  const auditEvent = (id: string) => foreignAuditEvent({ id });
  writeFileSync(join(dir, 'a.ndjson'), [patient('ae-1'), auditEvent('ae-2'), patient('ae-3'), auditEvent('ae-4')].map((r) => JSON.stringify(r)).join('\n'));
  writeFileSync(join(dir, 'b-collection.json'), JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: auditEvent('ae-5') }, { resource: patient('ae-6') }] }));
  writeFileSync(
    join(dir, 'c-transaction.json'),
    JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient('ae-7'), request: { method: 'PUT', url: 'Patient/ae-7' } },
        { resource: auditEvent('ae-8'), request: { method: 'PUT', url: 'AuditEvent/ae-8' } },
      ],
    }),
  );

  const { code, summary } = await runImport(dir);
  assert.equal(code, 1, 'the refused transaction makes the exit code non-zero');
  assert.equal(summary.resources, 3, JSON.stringify(summary));
  assert.equal(summary.auditEventsLeftOut, 3);
  assert.deepEqual(
    summary.failures.map((f) => `${f.file.split('/').pop()}: ${f.reason}`),
    ['c-transaction.json: Bundle.entry[1] (PUT AuditEvent/ae-8): PUT is not allowed on /AuditEvent/ae-8: AuditEvent is the audit trail, written by this server alone'],
  );
  const store = createResourceStore(db, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  const scope = systemScope('test');
  for (const id of ['ae-1', 'ae-3', 'ae-6']) assert.equal((await store.read(scope, 'Patient', id))?.deleted, false, id);
  assert.equal(await store.read(scope, 'Patient', 'ae-7'), undefined, 'a transaction is all or nothing');
  for (const id of ['ae-2', 'ae-4', 'ae-5', 'ae-8']) assert.equal(await store.read(scope, 'AuditEvent', id), undefined, id);

  const human = await runCli(['import', join(dir, 'a.ndjson')], { FHIRKEEP_DATABASE_URL: database.url, FHIRKEEP_DATA_DIR: join(work, 'data-human') });
  assert.match(human.stdout, /left out 2 AuditEvents \(the audit trail is written by this server alone\)/, human.stdout + human.stderr);
});

test('reindex rebuilds the search index of all or some types; an unknown type is an error', async () => {
  const env = { FHIRKEEP_DATABASE_URL: database.url, FHIRKEEP_DATA_DIR: join(work, 'data') };
  const some = await runCli(['--json', 'reindex', 'Patient'], env);
  assert.equal(some.code, 0, some.stderr);
  const result = JSON.parse(some.stdout) as { resources: number; types: string[] };
  assert.deepEqual(result.types, ['Patient']);
  assert.ok(result.resources > 0);
  const all = await runCli(['reindex'], env);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^Reindexed \d+ resources in /);
  const bad = await runCli(['reindex', 'Nope'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown resource type: Nope/);
});

test('an unknown file type named explicitly is an error', async () => {
  const path = join(work, 'notes.txt');
  writeFileSync(path, 'x');
  const { code, stderr } = await runCli(['import', path], { FHIRKEEP_DATABASE_URL: database.url });
  assert.equal(code, 1);
  assert.match(stderr, /not a \.json/);
});

const synthea = fileURLToPath(new URL('../../shared/data/synthea/', import.meta.url));
test('the Synthea bundles import completely', { skip: !existsSync(synthea) && 'no ../shared/data/synthea here' }, async () => {
  const result = await runImport(synthea);
  assert.equal(result.code, 0, JSON.stringify(result.summary.failures.slice(0, 3)));
  assert.equal(result.summary.failures.length, 0);
  assert.equal(result.summary.resources, 31962);
});
