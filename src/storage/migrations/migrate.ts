import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import { MIGRATIONS } from './index.js';
import type { Migration } from './migration.js';

export interface MigrationReport {
  /** Versions this call applied (empty when the schema was current). */
  readonly applied: readonly number[];
  readonly current: number;
}

/** A constant key for pg_advisory_lock: "fhirkeep" in ASCII, so other tools' locks do not collide. */
const LOCK_KEY = 0x6668_6972_6b65_6570n;

/**
 * Applies pending migrations under a session advisory lock, so nodes starting together
 * migrate once: the second waits, then finds nothing left to do.
 */
export async function migrate(sql: Sql, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  return sql.reserve().then(async (conn) => {
    try {
      await conn`select pg_advisory_lock(${LOCK_KEY.toString()}::bigint)`;
      await conn`create table if not exists schema_migrations (
        version int primary key, name text not null, applied_at timestamptz not null default now())`;
      const done = new Set((await conn<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version));
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        logger.info({ version: m.version, name: m.name }, 'applying migration');
        await conn`begin`;
        await conn.unsafe(m.sql);
        await conn`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
        await conn`commit`;
        applied.push(m.version);
      }
      const current = Math.max(0, ...done, ...applied);
      return { applied, current };
    } catch (e) {
      await conn`rollback`.catch(() => {});
      throw e;
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_KEY.toString()}::bigint)`.catch(() => {});
      conn.release();
    }
  });
}
