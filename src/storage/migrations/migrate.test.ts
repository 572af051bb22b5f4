import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import postgres from 'postgres';
import { createTestDatabase } from '../../../test/support/database.js';
import { migrate } from './migrate.js';
import type { Migration } from './migration.js';

test('nodes migrating at once apply each migration exactly once', async () => {
  const db = await createTestDatabase();
  const pools = [1, 2, 3].map(() => postgres(db.url, { max: 2, onnotice: () => {} }));
  try {
    const extra: Migration = { version: 999, name: 'test: counter', sql: 'create table migration_probe (x int); insert into migration_probe values (1);' };
    const reports = await Promise.all(pools.map((sql) => migrate(sql, pino({ level: 'silent' }), [extra])));
    assert.deepEqual(reports.map((r) => r.applied.length).sort(), [0, 0, 1]);
    const [row] = await (pools[0] as postgres.Sql)`select count(*)::int as n from migration_probe`;
    assert.equal(row?.n, 1);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
  }
});

test('a failing migration is rolled back whole and not recorded', async () => {
  const db = await createTestDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const broken: Migration = { version: 998, name: 'test: broken', sql: 'create table half_made (x int); select * from no_such_table;' };
    await assert.rejects(migrate(sql, pino({ level: 'silent' }), [broken]));
    const [made] = await sql`select to_regclass('half_made') as t`;
    assert.equal(made?.t, null);
    const [recorded] = await sql`select count(*)::int as n from schema_migrations where version = 998`;
    assert.equal(recorded?.n, 0);
  } finally {
    await sql.end();
    await db.drop();
  }
});
