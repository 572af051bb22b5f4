import postgres, { type Sql } from 'postgres';
import type { Logger } from 'pino';
import type { FhirkeepConfig } from '../config/schema.js';
import { embeddedBinaries } from './cluster/binaries.js';
import { openLocalCluster, type ClusterConnection, type LocalCluster } from './cluster/local-cluster.js';
import { migrate, type MigrationReport } from './migrations/migrate.js';

export interface Database {
  /** The pool. Only code under src/storage/ may use it (ARCHITECTURE.md, the one rule). */
  readonly sql: Sql;
  /**
   * A second pool for searches, with unnamed statements: PostgreSQL plans each search for its
   * actual values. A prepared search would fall back to a generic plan after five runs, and for
   * a skewed value (a code on 5% of Observations, not 0.01%) that plan can be 30× slower.
   */
  readonly searchSql: Sql;
  readonly migrations: MigrationReport;
  /** Where the data lives, for people: the external URL without its password, or the embedded directory. */
  readonly description: string;
  /** Resolves when the database answers a query (readiness). */
  ping(): Promise<void>;
  /** Closes the pool and stops the embedded cluster if this process runs it. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `share`: the CLI uses the cluster a running server owns instead of refusing. */
  readonly clusterMode?: 'own' | 'share';
}

/** PostgreSQL 14 is the oldest release Fhirkeep supports (CONTRACT.md). */
const MIN_SERVER_VERSION = 140000;

/** Opens the configured database: `FHIRKEEP_DATABASE_URL`, else the embedded cluster; then migrates it. */
export async function openDatabase(config: FhirkeepConfig, logger: Logger, options: OpenDatabaseOptions = {}): Promise<Database> {
  let cluster: LocalCluster | undefined;
  let sql: Sql;
  let searchSql: Sql;
  let description: string;
  if (config.databaseUrl !== undefined) {
    sql = createPool(config.databaseUrl, config.poolSize, logger, true);
    searchSql = createPool(config.databaseUrl, config.poolSize, logger, false);
    description = redactUrl(config.databaseUrl);
  } else {
    cluster = await openLocalCluster({
      dataDir: config.dataDir,
      binaries: await embeddedBinaries(),
      mode: options.clusterMode ?? 'own',
      log: (m) => logger.info(m),
    });
    await ensureDatabase(cluster.connection, logger);
    sql = createPool(cluster.connection, config.poolSize, logger, true);
    searchSql = createPool(cluster.connection, config.poolSize, logger, false);
    description = `embedded PostgreSQL in ${config.dataDir}`;
  }
  try {
    await checkVersion(sql, description);
    const migrations = await migrate(sql, logger);
    return {
      sql,
      searchSql,
      migrations,
      description,
      async ping() {
        await sql`select 1`;
      },
      async close() {
        await Promise.all([sql.end({ timeout: 5 }), searchSql.end({ timeout: 5 })]);
        await cluster?.stop();
      },
    };
  } catch (e) {
    await Promise.all([sql.end({ timeout: 1 }), searchSql.end({ timeout: 1 })]);
    await cluster?.stop();
    throw e;
  }
}

function createPool(target: string | ClusterConnection, max: number, logger: Logger, prepare: boolean): Sql {
  const common = {
    max,
    prepare,
    // Connections are opened on demand and kept; idle ones close after a minute.
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: (n: postgres.Notice) => logger.debug({ notice: n.message }, 'PostgreSQL notice'),
    // A 2xx is sent only after the commit is on disk, whatever the server's default (a DBA may
    // have turned it off for others): no acknowledged write is lost in a crash (docs/crash-safety.md).
    connection: { application_name: 'fhirkeep', synchronous_commit: 'on' },
  };
  return typeof target === 'string' ? postgres(target, common) : postgres({ ...target, ...common });
}

/** The private cluster starts with only the `postgres` database; Fhirkeep's own is made once. */
async function ensureDatabase(connection: ClusterConnection, logger: Logger): Promise<void> {
  const admin = postgres({ ...connection, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as found from pg_database where datname = ${connection.database}`;
    if (row === undefined) {
      logger.info(`creating database ${connection.database}`);
      await admin.unsafe(`create database ${connection.database}`);
    }
  } finally {
    await admin.end({ timeout: 1 });
  }
}

async function checkVersion(sql: Sql, description: string): Promise<void> {
  const [row] = await sql<{ num: number; text: string }[]>`
    select current_setting('server_version_num')::int as num, current_setting('server_version') as text`;
  assertSupportedVersion(row?.num ?? 0, row?.text ?? 'unknown', description);
}

/** Fails the start with a message naming the server, its version and the one required. */
export function assertSupportedVersion(num: number, text: string, description: string): void {
  if (num < MIN_SERVER_VERSION) {
    throw new Error(`${description} runs PostgreSQL ${text}, which is too old: Fhirkeep needs PostgreSQL 14 or newer`);
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
