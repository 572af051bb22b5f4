import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Row } from '../workloads.js';
import type { PagingResult } from './paging.js';
import { judgeSearch, pagingGoal, renderSearchTable, rowGoals, type SearchRow } from './report.js';

const search = (name: string, p50: number, p99: number, errors = 0): SearchRow => ({
  name,
  targets: name.startsWith('Observation') ? { p50: 5, p99: 25 } : {},
  ok: 1000,
  errors,
  statuses: errors === 0 ? { 200: 1000 } : { 200: 1000, 400: errors },
  errorSamples: errors === 0 ? [] : ['400 {"resourceType":"OperationOutcome"}'],
  seconds: 4,
  opsPerSec: 250,
  p50,
  p90: (p50 + p99) / 2,
  p99,
  meanHits: 12.5,
  nodeCpuUs: 800,
  dbCpuUs: 900,
  otherCpuShare: 0.01,
});
const paging = (ratio: number, failures: string[] = []): PagingResult => ({
  queries: ['Observation?code=8302-2&_count=20'],
  walks: 20,
  pages: 50,
  firstPage: { p50: 4, p90: 5, p99: 6 },
  lastPage: { p50: 4 * ratio, p90: 5, p99: 6 },
  ratio,
  failures,
});
const load: Row = {
  name: 'load: 3200 transaction bundles (32 clones), 4 at once',
  unit: 'res/s',
  ok: 1_000_000,
  errors: 0,
  statuses: { 200: 3200 },
  errorSamples: [],
  seconds: 200,
  opsPerSec: 5000,
  p50: 150,
  p99: 900,
  nodeCpuUs: 100,
  dbCpuUs: 80,
  otherCpuShare: 0.05,
};

test('targets: p50 and p99 where the shape has them; a shape with errors meets none', () => {
  assert.deepEqual(
    rowGoals(search('Observation?patient={id}&category=laboratory', 5, 25.01)).map((g) => [g.goal, g.value, g.met]),
    [
      ['Observation?patient={id}&category=laboratory: p50 ≤ 5 ms', '5.00 ms', true],
      ['Observation?patient={id}&category=laboratory: p99 ≤ 25 ms', '25.01 ms', false],
    ],
  );
  assert.deepEqual(rowGoals(search('Condition?patient={id}', 50, 90)), []);
  assert.equal(rowGoals(search('Observation?patient={id}', 1, 2, 3)).every((g) => !g.met), true);
});

test('paging: the last page within ±20% of page 1, every walk reaching it', () => {
  assert.equal(pagingGoal(paging(1.2)).met, true);
  assert.equal(pagingGoal(paging(0.8)).met, true);
  assert.equal(pagingGoal(paging(1.21)).met, false);
  assert.equal(pagingGoal(paging(1, ['no next link after page 12'])).met, false);
  assert.equal(pagingGoal(paging(1.05)).value, '1.05×');
  assert.equal(judgeSearch([search('Observation?x', 1, 2)], paging(1)).length, 3);
});

test('the table: load, searches with their targets, paging; errors and stopped walks listed under it', () => {
  const table = renderSearchTable(
    { row: load, vacuumSeconds: 12.3 },
    [search('Observation?patient={id}&code={loinc}', 2.5, 30), search('Patient?identifier={system}|{value}', 1, 2, 4)],
    paging(3, ['no next link after page 12']),
  );
  assert.match(table, /^workload\s+ops\/s\s+unit\s+p50 ms\s+p90 ms\s+p99 ms\s+hits\s+errors/);
  assert.match(table, /load: 3200 transaction bundles \(32 clones\), 4 at once\s+5000\s+res\/s\s+150\.00\s+900\.00\s+0\s+100\s+80\s+5%/);
  assert.match(table, /Observation\?patient=\{id\}&code=\{loinc\}\s+250\s+req\/s\s+2\.50\s+16\.25\s+30\.00\s+12\.5\s+0\s+800\s+900\s+1%\s+met: p50 ≤ 5 ms; MISSED: p99 ≤ 25 ms/);
  assert.match(table, /Patient\?identifier=\{system\}\|\{value\}.*\b4 !/);
  assert.match(table, /paging: page 50 ÷ page 1 \(p50\)\s+3\.00\s+×.*MISSED: page 50 within ±20% of page 1 \(p50\)/);
  assert.match(table, /VACUUM \(ANALYZE\) after the load\s+12\.3\s+s/);
  assert.match(table, /! Patient\?identifier=\{system\}\|\{value\}: 4 errors \(statuses \{"200":1000,"400":4\}\)/);
  assert.match(table, /! paging: 1 of 20 walks stopped early; first: no next link after page 12/);
});

test('without search (501) the table still shows the load', () => {
  const table = renderSearchTable({ row: load, vacuumSeconds: 1 }, [], undefined);
  assert.match(table, /load: 3200 transaction bundles/);
  assert.doesNotMatch(table, /paging/);
});
