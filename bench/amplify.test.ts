import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { resourceJson } from '../src/storage/resource-json.js';
import { createTestDatabase, type TestDatabase } from '../test/support/database.js';
import { amplifyResources, copiesNeeded, copySuffix, MAX_ORIGINAL_ID, shares } from './amplify.js';

test('copies needed: enough rounds of the originals for the rows wanted, the last cut short', () => {
  assert.equal(copiesNeeded(30_000, 970_000), 33);
  assert.equal(copiesNeeded(10, 10), 1);
  assert.equal(copiesNeeded(10, 0), 0);
  assert.equal(copiesNeeded(0, 5), Number.POSITIVE_INFINITY, 'nothing to copy');
});

test('shares split the rows near-evenly, the first ones one larger', () => {
  assert.deepEqual(shares(11, 2), [6, 5]);
  assert.deepEqual(shares(3, 4), [1, 1, 1, 0]);
  assert.equal(shares(970_001, 2).reduce((a, b) => a + b), 970_001);
});

test('a copy suffix keeps the longest id copied a FHIR id', () => {
  assert.match(`${'a'.repeat(MAX_ORIGINAL_ID)}${copySuffix(9_999_999)}`, /^[A-Za-z0-9\-.]{1,64}$/);
  assert.doesNotMatch(`${'a'.repeat(MAX_ORIGINAL_ID + 1)}${copySuffix(9_999_999)}`, /^[A-Za-z0-9\-.]{1,64}$/);
});

let database: TestDatabase;
let sql: postgres.Sql;
before(async () => {
  database = await createTestDatabase();
  sql = postgres(database.url, { max: 1, onnotice: () => {} });
});
after(async () => {
  await sql.end();
  await database.drop();
});

async function insert(type: string, id: string, patient: string | null, body: Record<string, unknown>, deleted = false): Promise<void> {
  const json = deleted ? null : resourceJson({ resourceType: type, ...body }, id, '1', '2024-01-01T00:00:00.000Z');
  await sql`insert into resources (type, id, version_id, last_updated, deleted, content, patient_id, created_at)
    values (${type}, ${id}, 1, '2024-01-01T00:00:00Z', ${deleted}, ${json}, ${patient}, '2024-01-01T00:00:00Z')`;
}

test('copies are distinct, valid resources whose ids, and compartment, are their own; deleted and foreign rows are left alone', async () => {
  await insert('Patient', 'p1', 'p1', { name: [{ family: 'One' }] });
  await insert('Observation', 'o1', 'p1', { status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } });
  await insert('Organization', 'org1', null, { name: 'Org p1' });
  await insert('Observation', 'gone', 'p1', {}, true);
  // Not as Fhirkeep stores JSON (id not right after resourceType): not copied, only counted.
  await sql`insert into resources (type, id, version_id, last_updated, content, created_at) values ('Basic', 'odd', 1, now(), '{"id":"odd","resourceType":"Basic"}', now())`;

  const a = await amplifyResources(database.url, 20);
  assert.deepEqual({ before: a.before, after: a.after, skipped: a.skipped }, { before: 4, after: 20, skipped: 1 });
  const rows = await sql<{ type: string; id: string; patient_id: string | null; content: string; deleted: boolean }[]>`
    select type, id, patient_id, content, deleted from resources where id like '%-c%' order by rid`;
  assert.equal(rows.length, 16);
  assert.equal(new Set(rows.map((r) => `${r.type}/${r.id}`)).size, 16);
  for (const r of rows) {
    const json = JSON.parse(r.content) as { resourceType: string; id: string; subject?: { reference: string }; name?: unknown };
    const copy = /-c(\d+)$/.exec(r.id)?.[1];
    assert.ok(copy !== undefined && !r.deleted);
    assert.equal(json.resourceType, r.type);
    assert.equal(json.id, r.id);
    assert.match(r.id, /^(p1|o1|org1)-c\d+$/, 'only live rows stored as Fhirkeep stores them are copied');
    if (r.type === 'Patient') assert.equal(r.patient_id, r.id);
    if (r.type === 'Observation') {
      assert.equal(r.patient_id, `p1${copySuffix(Number(copy))}`);
      assert.equal(json.subject?.reference, `Patient/${r.patient_id}`, "a copy's reference names its patient's copy");
    }
    if (r.type === 'Organization') {
      assert.equal(r.patient_id, null);
      assert.equal((json as { name?: string }).name, 'Org p1', 'outside any compartment, only the id changes');
    }
  }
  assert.equal((await amplifyResources(database.url, 20)).after, 20, 'already there: nothing more');
});
