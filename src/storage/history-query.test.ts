import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemScope } from '../access/scope.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { historyPageQuery, parseCursor } from './history-query.js';
import type { HistoryQuery } from './types.js';

let testDb: TestDatabase;
const scope = systemScope('history plan test');
const ROWS = 30_000;

before(async () => {
  testDb = await createTestDatabase();
  const sql = testDb.db.sql;
  // A history long enough that the planner's choices are the ones production gets: one row a second.
  await sql`
    insert into resource_history (rid, type, id, version_id, last_updated, method, content)
    select g, case when g % 10 = 0 then 'Device' else 'Observation' end, 'r' || g, 1,
           now() - (${ROWS} - g) * interval '1 second', 'POST', '{}'
    from generate_series(1, ${ROWS}) g`;
  await sql`analyze resource_history`;
});
after(() => testDb.drop());

/** The plan PostgreSQL picks for a history page, as text. */
async function plan(query: HistoryQuery): Promise<string> {
  const sql = testDb.db.sql;
  const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  const rows = await sql`explain ${historyPageQuery(sql, scope, query, cursor)}`;
  return rows.map((r) => r['QUERY PLAN'] as string).join('\n');
}

const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);

for (const [level, base, index] of [
  ['system', {}, 'resource_history_time'],
  ['type', { type: 'Device' }, 'resource_history_type_time'],
] as const) {
  test(`${level} history pages are one backward range scan of ${index}: no sort, no filter, no table scan`, async () => {
    for (const query of [
      { ...base, count: 20 },
      // _since polling that finds few or no versions must not scan the whole history.
      { ...base, count: 20, since: minutesAgo(1) },
      { ...base, count: 20, since: new Date() },
      { ...base, count: 20, cursor: `${minutesAgo(100).getTime()}.${ROWS / 2}` },
      { ...base, count: 20, since: minutesAgo(300), cursor: `${minutesAgo(100).getTime()}.${ROWS / 2}` },
    ]) {
      const text = await plan(query);
      assert.match(text, new RegExp(`Index Scan Backward using ${index}\\b`), text);
      // _since and the cursor bound the scan (Index Cond), rather than filter what it reads.
      assert.doesNotMatch(text, /Seq Scan|Sort|Filter:/, text);
    }
  });
}

test('instance history reads one resource’s versions through the primary key', async () => {
  const text = await plan({ type: 'Observation', id: 'r1', count: 20 });
  assert.match(text, /resource_history_pkey/, text);
  assert.doesNotMatch(text, /Seq Scan/, text);
});
