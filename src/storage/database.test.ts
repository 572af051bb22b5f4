import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../config/load.js';
import { createTestDatabase } from '../../test/support/database.js';
import { assertSupportedVersion, openDatabase } from './database.js';
import type { PoolConnections } from './database-activity.js';
import { MIGRATIONS } from './migrations/index.js';

const silent = pino({ level: 'silent' });

test('PostgreSQL older than 14 is refused with a message naming the version', () => {
  assert.throws(() => assertSupportedVersion(130012, '13.12', 'postgres://db.example/x'), /postgres:\/\/db\.example\/x runs PostgreSQL 13\.12, which is too old: Fhirkeep needs PostgreSQL 14 or newer/);
  assertSupportedVersion(140000, '14.0', 'x');
});

test('an external database is opened by URL, migrated, pinged, and described without its password', async () => {
  const { url, drop } = await createTestDatabase();
  const withPassword = new URL(url);
  withPassword.password = 'secret-in-url';
  try {
    const db = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: url }), silent);
    try {
      await db.ping();
      assert.deepEqual(db.migrations.applied, [], 'createTestDatabase migrated it already');
      assert.ok(db.migrations.current >= 1);
      const [row] = await db.sql`select count(*)::int as n, max(version) as latest from schema_migrations`;
      assert.equal(row?.n, MIGRATIONS.length);
      assert.equal(row?.latest, db.migrations.current);
    } finally {
      await db.close();
    }
    const described = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: withPassword.toString() }), silent).catch((e: Error) => e);
    // Wrong password: the start fails, and the message never shows it.
    assert.ok(described instanceof Error);
    assert.doesNotMatch(described.message, /secret-in-url/);
  } finally {
    await drop();
  }
});

test('connections: this process’s pools as pg_stat_activity sees them, not another node’s on the same database', async () => {
  const { url, drop } = await createTestDatabase();
  try {
    const node = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: url, FHIRKEEP_DATABASE_POOL_SIZE: '4' }), silent);
    const other = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: url }), silent);
    try {
      assert.equal(node.poolSize, 4);
      // Three connections of the main pool busy at once, one of the search pool, and the other node's.
      const busy = Promise.all([1, 2, 3].map(() => node.sql`select pg_sleep(2)`));
      // Queries run once awaited: Promise.all starts them.
      const searching = Promise.all([node.searchSql`select pg_sleep(2)`]);
      const elsewhere = Promise.all([1, 2].map(() => other.sql`select pg_sleep(2)`));
      const count = (seen: readonly PoolConnections[], pool: string, state: string) => seen.filter((c) => c.pool === pool && c.state === state).reduce((n, c) => n + c.count, 0);
      let seen = await node.connections();
      // Connecting takes a moment on a busy machine: look until every query has started.
      for (let i = 0; i < 30 && count(seen, 'main', 'active') + count(seen, 'search', 'active') < 4; i++) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await node.connections();
      }
      assert.equal(count(seen, 'main', 'active'), 3, `three sleeping queries of the main pool: ${JSON.stringify(seen)}`);
      assert.equal(count(seen, 'search', 'active'), 1);
      assert.ok(seen.reduce((n, c) => n + c.count, 0) <= 8, 'at most the two pools of four: the other node’s and the asking connection are not counted');
      await Promise.all([busy, searching, elsewhere]);
      const idle = await node.connections();
      assert.equal(idle.filter((c) => c.state === 'active').length, 0, `nothing runs now: ${JSON.stringify(idle)}`);
    } finally {
      await Promise.all([node.close(), other.close()]);
    }
  } finally {
    await drop();
  }
});

test('every connection commits synchronously, even where the database says otherwise', async () => {
  const { url, db: admin, drop } = await createTestDatabase();
  try {
    const name = new URL(url).pathname.slice(1);
    await admin.sql.unsafe(`alter database ${name} set synchronous_commit = off`);
    const db = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: url }), silent);
    try {
      for (const sql of [db.sql, db.searchSql]) {
        const [row] = await sql<{ synchronous_commit: string }[]>`show synchronous_commit`;
        assert.equal(row?.synchronous_commit, 'on');
      }
    } finally {
      await db.close();
    }
  } finally {
    await drop();
  }
});

test('the embedded database: made and migrated on first open; a CLI open beside it shares it; close stops it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-db-'));
  chmodSync(dataDir, 0o755);
  const config = parseConfig({ FHIRKEEP_DATA_DIR: dataDir });
  try {
    const server = await openDatabase(config, silent);
    assert.match(server.description, /embedded PostgreSQL/);
    assert.ok(server.migrations.applied.includes(1));
    const cli = await openDatabase(config, silent, { clusterMode: 'share' });
    assert.deepEqual(cli.migrations.applied, []);
    await cli.close();
    await server.ping();
    await assert.rejects(openDatabase(config, silent), /already open in this process/);
    await server.close();
    assert.equal(existsSync(join(dataDir, 'pg', 'postmaster.pid')), false, 'the cluster stopped with its owner');
    await assert.rejects(server.ping());
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
