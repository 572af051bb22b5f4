import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import postgres from 'postgres';
import { createTestDatabase } from '../../../test/support/database.js';
import { MIGRATIONS } from './index.js';
import { migrate } from './migrate.js';

test('migration 8: accounts made before it count as activated since their creation; updated_at follows every change', async () => {
  const db = await createTestDatabase();
  // The schema as it was before migration 8, in a schema of its own.
  await db.db.sql`create schema before_hie`;
  const sql = postgres(db.url, { max: 1, onnotice: () => {}, connection: { search_path: 'before_hie' } });
  const silent = pino({ level: 'silent' });
  try {
    await migrate(sql, silent, MIGRATIONS.filter((m) => m.version < 8));
    await sql`insert into accounts (id, email, roles, created_at) values ('old', 'old@example.org', '{developer}', '2020-01-02T03:04:05Z')`;
    await migrate(sql, silent, MIGRATIONS);
    const [old] = await sql<{ activated_at: Date; updated_at: Date; last_login_at: Date | null }[]>`select activated_at, updated_at, last_login_at from accounts where id = 'old'`;
    assert.deepEqual([old?.activated_at.toISOString(), old?.updated_at.toISOString(), old?.last_login_at], ['2020-01-02T03:04:05.000Z', '2020-01-02T03:04:05.000Z', null]);

    await sql`insert into accounts (id, email, roles) values ('new', 'new@example.org', '{developer}')`;
    const [made] = await sql<{ activated: boolean }[]>`select activated_at is not null as activated from accounts where id = 'new'`;
    assert.equal(made?.activated, true, 'new accounts are activated');

    await sql`update accounts set disabled_at = now() where id = 'old'`;
    const [changed] = await sql<{ updated_at: Date }[]>`select updated_at from accounts where id = 'old'`;
    assert.ok((changed?.updated_at.getTime() ?? 0) > Date.parse('2024-01-01'), 'any update touches updated_at');
  } finally {
    await sql.end();
    await db.drop();
  }
});
