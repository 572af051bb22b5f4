import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import postgres from 'postgres';
import { migrate } from '../../src/storage/migrations/migrate.js';

export interface TestDatabase {
  /** URL of a fresh, migrated database of its own. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Makes a fresh database on the server the test harness started (FHIRKEEP_TEST_DATABASE_URL,
 * embedded or external PostgreSQL), so every test file has data of its own.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.FHIRKEEP_TEST_DATABASE_URL;
  if (adminUrl === undefined) {
    throw new Error('FHIRKEEP_TEST_DATABASE_URL is not set: run the suite with `npm test`, which starts PostgreSQL');
  }
  const name = `fhirkeep_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await migrate(sql, pino({ level: 'silent' }));
  } finally {
    await sql.end();
  }
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
