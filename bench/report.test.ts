import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeGoals, median, renderTable, type ExportSummary } from './report.js';
import { exportRowName } from './export-workload.js';
import { TOKEN_JWT, TOKEN_SECRET } from './auth-workloads.js';
import { CREATE, JSON_BASELINE, READ, READ_BEARER, READ_STATIC_KEY, SQL_BASELINE, type Row } from './workloads.js';

const row = (name: string, opsPerSec: number, errors = 0): Row => ({
  name,
  unit: name === CREATE ? 'res/s' : 'req/s',
  ok: opsPerSec * 5,
  errors,
  statuses: errors === 0 ? { 200: opsPerSec * 5 } : { 200: opsPerSec * 5, 500: errors },
  errorSamples: errors === 0 ? [] : ['500 {"resourceType":"OperationOutcome"}'],
  seconds: 5,
  opsPerSec,
  p50: 1,
  p99: 2,
  nodeCpuUs: 100,
  dbCpuUs: 50,
  otherCpuShare: 0,
});
const startup = { firstStartMs: 3000, existingStartMs: [2100, 900, 1000], idleRssMb: 251, scopeCompile: { firstMs: 12, cachedMs: 0.002 } };

const authRows = [row(READ_BEARER, 5400), row(READ_STATIC_KEY, 5130), row(TOKEN_SECRET, 1000), row(TOKEN_JWT, 499)];

test('goals are judged against this run: read vs baseline 2, create rate, bearer read vs read, static-key read vs bearer read, token rates, median ready time, RSS, cached scope compilation', () => {
  const goals = judgeGoals([row(JSON_BASELINE, 30000), row(SQL_BASELINE, 10000), row(CREATE, 2000), row(READ, 6000), ...authRows], startup);
  assert.deepEqual(
    goals.map((g) => [g.value, g.met]),
    [
      ['60%', true],
      ['2000 res/s', true],
      ['90%', true],
      ['95%', true],
      ['1000 req/s', true],
      ['499 req/s', false],
      ['1.00 s', true],
      ['251 MB', false],
      ['2.0 µs', true],
    ],
  );
  const slow = judgeGoals([row(JSON_BASELINE, 30000), row(SQL_BASELINE, 10000), row(CREATE, 2000), row(READ, 6000), ...authRows], { ...startup, scopeCompile: { firstMs: 12, cachedMs: 0.2 } });
  assert.equal(slow.at(-1)?.met, false, 'a cached scope costing 0.2 ms misses');
});

test('the bearer read misses its goal when either read had errors', () => {
  const goals = judgeGoals([row(JSON_BASELINE, 30000), row(SQL_BASELINE, 10000), row(CREATE, 2000), row(READ, 6000, 1), ...authRows], startup);
  assert.equal(goals.find((g) => g.line === READ_BEARER)?.met, false);
});

test('the static-key read misses its goal below 95% of the bearer read, or when either had errors', () => {
  const staticKeyGoal = (bearer: Row, staticKey: Row) =>
    judgeGoals([row(JSON_BASELINE, 30000), row(SQL_BASELINE, 10000), row(CREATE, 2000), row(READ, 6000), bearer, staticKey, row(TOKEN_SECRET, 1000), row(TOKEN_JWT, 500)], startup).find(
      (g) => g.line === READ_STATIC_KEY,
    );
  assert.deepEqual(staticKeyGoal(row(READ_BEARER, 5400), row(READ_STATIC_KEY, 5129)), { line: READ_STATIC_KEY, goal: 'static-key read ≥ 95% of bearer read', value: '95%', met: false });
  assert.equal(staticKeyGoal(row(READ_BEARER, 5400), row(READ_STATIC_KEY, 6000, 1))?.met, false);
  assert.equal(staticKeyGoal(row(READ_BEARER, 5400, 1), row(READ_STATIC_KEY, 6000))?.met, false);
  assert.equal(staticKeyGoal(row(READ_BEARER, 5400), row(READ_STATIC_KEY, 6000))?.met, true, 'faster than the bearer read');
});

test('a workload with errors misses its goal and is flagged in the table with what went wrong', () => {
  const rows = [row(JSON_BASELINE, 30000), row(SQL_BASELINE, 10000), row(CREATE, 5000, 3), row(READ, 5999), ...authRows];
  const goals = judgeGoals(rows, startup);
  assert.equal(goals[0]?.met, false, 'read at 59.99% of baseline 2');
  assert.equal(goals[1]?.met, false, 'create had errors');
  const table = renderTable(rows, startup, goals);
  assert.match(table, /create \(POST\).*\b3 !/);
  assert.match(table, /! create \(POST\): 3 errors \(statuses \{"200":25000,"500":3\}\); first: 500 \{"resourceType":"OperationOutcome"\}/);
  assert.match(table, /MISSED: create/);
  assert.match(table, /read by id\s+5999\s+req\/s.*0\.60\s+0\.20/);
  assert.match(table, /read by id \(bearer token\)\s+5400\b.*met: bearer read ≥ 90% of read by id/);
  assert.match(table, /read by id \(static API key\)\s+5130\b.*met: static-key read ≥ 95% of bearer read/);
  assert.match(table, /private_key_jwt ES384\)\s+499\b.*MISSED: token \(private_key_jwt\) ≥ 500\/s/);
  assert.match(table, /idle RSS.*MISSED: idle RSS/);
});

test('median of the start-up tries', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

const exportRow = (resources: number, opsPerSec: number, errors = 0): Row => ({ ...row(exportRowName(resources), opsPerSec, errors), unit: 'res/s', ok: resources, p50: Number.NaN, p99: Number.NaN });
const summary = (resources: number, peakRssMb: number): ExportSummary => ({
  row: exportRowName(resources),
  resources,
  mbPerSec: 97.5,
  bytes: 2_000_000_000,
  files: 100,
  rssBeforeMb: 120,
  peakRssMb,
});
const baseRows = [row(JSON_BASELINE, 30000), row(SQL_BASELINE, 10000), row(CREATE, 2000), row(READ, 6000), ...authRows];

test('the export: its rate is judged at 1,000,000 resources, its memory at any size; the row has no latency', () => {
  const full = judgeGoals([...baseRows, exportRow(1_000_000, 50_000)], startup, summary(1_000_000, 299));
  assert.deepEqual(
    full.slice(-2).map((g) => [g.goal, g.value, g.met]),
    [
      ['export ≥ 50,000 res/s at 1,000,000 resources', '50000 res/s', true],
      ['export: server RSS < 300 MB whatever the export\'s size', '299 MB', true],
    ],
  );
  const slow = judgeGoals([...baseRows, exportRow(1_000_000, 49_999)], startup, summary(1_000_000, 300));
  assert.deepEqual(slow.slice(-2).map((g) => g.met), [false, false]);
  assert.equal(judgeGoals([...baseRows, exportRow(1_000_000, 90_000, 1)], startup, summary(1_000_000, 100)).at(-2)?.met, false, 'errors miss the rate goal');

  const rows = [...baseRows, exportRow(100_000, 40_000)];
  const quick = judgeGoals(rows, startup, summary(100_000, 150));
  assert.equal(quick.length, full.length - 1, 'no rate goal below 1,000,000');
  const table = renderTable(rows, startup, quick, summary(100_000, 150));
  assert.match(table, /export: system \$export, all types, 100,000 resources\s+40000\s+res\/s\s+n\/a\s+n\/a\s+0\s+4\.00\s+1\.33 .*\(information: the goal, ≥ 50,000 res\/s, is judged at 1,000,000 resources\)/);
  assert.match(table, /export: NDJSON written\s+97\.5\s+MB\/s .*2000 MB of NDJSON in 100 files/);
  assert.match(table, /export: peak RSS of the Node process\s+150\s+MB .*met: export: server RSS < 300 MB whatever the export's size \(120 MB before the kick-off\)/);
});

test('without the export, the table and goals are as before', () => {
  const goals = judgeGoals(baseRows, startup);
  assert.ok(!goals.some((g) => g.goal.startsWith('export')));
  assert.doesNotMatch(renderTable(baseRows, startup, goals), /export/);
});
