import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../config/load.js';
import { createTestDatabase } from '../../test/support/database.js';
import { assertSupportedVersion, openDatabase } from './database.js';
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
