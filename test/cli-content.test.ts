import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { openTaxonomy, type LiveTaxonomy } from '../src/access/content/taxonomy-store.js';
import { cliOn } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let work: string;
let database: TestDatabase;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-content-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const { cli, json } = cliOn(() => ({ databaseUrl: database.url, dataDir: join(work, 'data') }));

test('content list and search work on a database no server seeded yet; search matches codes and labels', async () => {
  const list = await json('content', 'list');
  assert.ok(list.contentTypes.some((c: { name: string }) => c.name === 'body/weight'));
  const found = await json('content', 'search', '29463-7');
  assert.deepEqual(found.contentTypes.map((c: { name: string }) => c.name), ['body/weight']);
  const human = await cli('content', 'search', 'hemoglobin a1c');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^lab\/hba1c +Observation +Hemoglobin A1c$/m);
  const shown = await cli('content', 'show', 'body/bloodpressure');
  assert.match(shown.stdout, /http:\/\/loinc\.org\|85354-9/);
});

test('content add, group add and members take effect in a running node at once (NOTIFY)', async () => {
  const node: LiveTaxonomy = await openTaxonomy(database.db.sql, pino({ level: 'silent' }));
  const eventually = async (holds: () => boolean) => {
    for (let i = 0; i < 300 && !holds(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(holds());
  };
  try {
    const made = await json('content', 'add', 'fitness/mood', '--type', 'Observation', '--label', 'Mood', '--code', 'urn:fhirkeep:test|mood', '--code', 'urn:fhirkeep:test|feeling');
    assert.deepEqual(made.contentType, { name: 'fitness/mood', resourceType: 'Observation', label: 'Mood', dynamic: false, codes: ['urn:fhirkeep:test|mood', 'urn:fhirkeep:test|feeling'] });
    await eventually(() => node.contentOfCode('urn:fhirkeep:test|feeling') === 'fitness/mood');

    const group = await cli('group', 'add', 'wellbeing', '--label', 'Wellbeing', '--parent', 'fitness', '--content', 'fitness/mood');
    assert.equal(group.code, 0, group.stderr);
    await eventually(() => node.groupContents('v1', 'fitness', []).has('fitness/mood'));
    assert.equal((await cli('group', 'member', 'add', 'wellbeing', 'fitness/sleep')).code, 0);
    await eventually(() => node.groupContents('v1', 'wellbeing', []).has('fitness/sleep'));
    const tree = await cli('group', 'list');
    assert.match(tree.stdout, /^fitness \(Fitness data\): /m);
    assert.match(tree.stdout, /^ {2}wellbeing \(Wellbeing\): fitness\/mood, fitness\/sleep$/m);
    assert.equal((await cli('group', 'member', 'remove', 'wellbeing', 'fitness/sleep')).code, 0);
    assert.equal((await cli('group', 'remove', 'wellbeing')).code, 0);
    assert.equal((await cli('content', 'remove', 'fitness/mood')).code, 0);
    await eventually(() => node.content('fitness/mood') === undefined && !node.hasGroup('v1', 'wellbeing'));
  } finally {
    await node.close();
  }
});

test('bad input: a clear message and a non-zero exit', async () => {
  const cases: [string[], RegExp][] = [
    [['content', 'add', 'bad name', '--type', 'Observation', '--label', 'X'], /name: /],
    [['content', 'add', 'x/y', '--type', 'Nope', '--label', 'X'], /resourceType: /],
    [['content', 'add', 'x/y', '--type', 'Observation', '--label', 'X', '--code', 'http://loinc.org|29463-7'], /already maps to content type body\/weight/],
    [['content', 'add', 'x/y', '--type', 'Observation', '--label', 'X', '--code', 'nobar'], /codes\[0\]: /],
    [['content', 'add', 'x/y', '--type', 'Observation'], /--label/],
    [['content', 'show', 'nope/none'], /no content type nope\/none/],
    [['content', 'remove', 'nope/none'], /no content type nope\/none/],
    [['group', 'add', 'x', '--label', 'X', '--parent', 'nope'], /parent: /],
    [['group', 'member', 'add', 'nope', 'body/weight'], /no group nope/],
    [['group', 'member', 'remove', 'fitness', 'body/weight'], /not in group fitness/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
});
