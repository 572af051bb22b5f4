import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import postgres from 'postgres';
import { parseConfig } from '../../src/config/load.js';
import { openDatabase, type Database } from '../../src/storage/database.js';

export interface TestDatabase {
  /** URL of a fresh, migrated database of its own. */
  readonly url: string;
  /** That database opened the way Fhirkeep opens it (pool, version check, migrations). */
  readonly db: Database;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

/**
 * Makes a fresh database on the server the test harness started (FHIRKEEP_TEST_DATABASE_URL,
 * embedded or external PostgreSQL), so every test file has data of its own.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const bare = await createEmptyDatabase();
  const db = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: bare.url }), pino({ level: 'silent' }));
  return {
    url: bare.url,
    db,
    async drop() {
      await db.close();
      await bare.drop();
    },
  };
}

/** A fresh database with no schema at all (a migration test applies the migrations it wants). */
export async function createEmptyDatabase(): Promise<{ readonly url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.FHIRKEEP_TEST_DATABASE_URL;
  if (adminUrl === undefined) {
    throw new Error('FHIRKEEP_TEST_DATABASE_URL is not set: run the suite with `npm test`, which starts PostgreSQL');
  }
  // Random hex: safe to splice into the identifier position, where parameters cannot go.
  const name = `fhirkeep_test_${randomBytes(6).toString('hex')}`;
  await asAdmin(adminUrl, (sql) => sql.unsafe(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => asAdmin(adminUrl, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`)) };
}

async function asAdmin(adminUrl: string, work: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await work(sql);
  } finally {
    await sql.end();
  }
}
