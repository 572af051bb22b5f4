import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PgBinaries } from './binaries.js';
import { clusterUser, type OsUser } from './os-user.js';

const run = promisify(execFile);

/** How to reach a local cluster: over its Unix socket only (it listens on no TCP port). */
export interface ClusterConnection {
  /** Directory of the Unix socket (postgres.js and libpq take it as `host`). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export interface LocalCluster {
  readonly connection: ClusterConnection;
  /** True when this process started (or adopted) the cluster and so must stop it. */
  readonly owned: boolean;
  /** Stops the cluster if owned; otherwise only lets go of it. */
  stop(): Promise<void>;
}

export interface OpenClusterOptions {
  readonly dataDir: string;
  readonly binaries: PgBinaries;
  /**
   * `own`: this process runs the cluster (`serve`); a live owner elsewhere is an error.
   * `share`: use the cluster a live owner runs (the CLI beside a running server), else run it.
   */
  readonly mode: 'own' | 'share';
  readonly log: (message: string) => void;
  /**
   * Also listen on 127.0.0.1 at this port, for clients that need a URL (tests, benchmark);
   * by default the cluster is reachable only through its Unix socket.
   */
  readonly tcpPort?: number;
}

const PORT = 5432;
const SUPERUSER = 'fhirkeep';
const DATABASE = 'fhirkeep';
/** sockaddr_un.sun_path holds 108 bytes on Linux, the socket file name included. */
const MAX_SOCKET_PATH = 100;

/**
 * Opens the private PostgreSQL cluster under `<dataDir>/pg`: initialises it on first use,
 * starts it, or adopts one left running by a crashed owner (a kill -9 of Fhirkeep leaves the
 * postmaster alive; adopting it is faster and loses nothing). Ownership is recorded in
 * `<dataDir>/fhirkeep.pid` so the CLI can tell a live server's cluster from an orphan.
 */
export async function openLocalCluster(options: OpenClusterOptions): Promise<LocalCluster> {
  const { dataDir, binaries, mode, log } = options;
  const user = clusterUser();
  const pgDir = join(dataDir, 'pg');
  const lockFile = join(dataDir, 'fhirkeep.pid');
  const passwordFile = join(dataDir, 'pg-password');
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  // When root runs the cluster as another user, that user must be able to reach the directory.
  if (user !== undefined) chmodSync(dataDir, 0o755);
  const socketDir = socketDirectory(dataDir, user);

  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    log(`initialising a new PostgreSQL cluster in ${pgDir}`);
    await initialise(binaries, pgDir, passwordFile, user);
  }
  const port = options.tcpPort ?? PORT;
  const connection: ClusterConnection = {
    host: options.tcpPort === undefined ? socketDir : '127.0.0.1',
    port,
    user: SUPERUSER,
    password: readFileSync(passwordFile, 'utf8').trim(),
    database: DATABASE,
  };

  const owner = liveOwner(lockFile);
  if (owner !== undefined) {
    if (mode === 'own') {
      throw new Error(
        `The data directory ${dataDir} is in use by Fhirkeep process ${owner}. Stop it first, or run several nodes on one FHIRKEEP_DATABASE_URL.`,
      );
    }
    return { connection, owned: false, stop: async () => {} };
  }

  writeFileSync(lockFile, `${process.pid}\n`);
  writeSettings(pgDir, socketDir, user, options.tcpPort);
  if (await isRunning(binaries, pgDir, user)) {
    log('adopting the PostgreSQL cluster left running by a previous Fhirkeep process');
  } else {
    await pgCtl(binaries, user, ['start', '-D', pgDir, '-w', '-t', '60', '-s', '-l', join(pgDir, 'server.log')]);
  }
  let stopped = false;
  return {
    connection,
    owned: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Fast shutdown: roll back open transactions, checkpoint, exit (PostgreSQL "smart" would wait for clients).
      await pgCtl(binaries, user, ['stop', '-D', pgDir, '-m', 'fast', '-w', '-t', '60', '-s']);
      rmSync(lockFile, { force: true });
    },
  };
}

async function initialise(binaries: PgBinaries, pgDir: string, passwordFile: string, user: OsUser | undefined): Promise<void> {
  const password = randomBytes(24).toString('base64url');
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  const pwfile = join(pgDir, '..', `.initdb-pw-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user !== undefined) {
    chownSync(pgDir, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  try {
    await run(
      binaries.initdb,
      ['-D', pgDir, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--no-instructions'],
      { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (e) {
    rmSync(pgDir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  appendFileSync(join(pgDir, 'postgresql.conf'), "\ninclude_if_exists = 'fhirkeep.conf'\n");
}

/** Written at every start, so a moved data directory still finds its socket directory. */
function writeSettings(pgDir: string, socketDir: string, user: OsUser | undefined, tcpPort: number | undefined): void {
  const file = join(pgDir, 'fhirkeep.conf');
  writeFileSync(
    file,
    [
      '# Written by Fhirkeep at every start; edit postgresql.conf for your own settings.',
      tcpPort === undefined ? "listen_addresses = ''" : "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socketDir.replace(/'/g, "''")}'`,
      'unix_socket_permissions = 0700',
      `port = ${tcpPort ?? PORT}`,
      '',
    ].join('\n'),
  );
  if (user !== undefined) chownSync(file, user.uid, user.gid);
}

function socketDirectory(dataDir: string, user: OsUser | undefined): string {
  let dir = join(dataDir, 'run');
  if (`${dir}/.s.PGSQL.${PORT}`.length > MAX_SOCKET_PATH) {
    dir = join('/tmp', `fhirkeep-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  return dir;
}

/** The pid in the lock file, if that process still lives and is not us. */
function liveOwner(lockFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return isNodeProcess(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Guards against a recycled pid: the owner must be a Node process. */
function isNodeProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc: trust kill(pid, 0)
  }
}

async function isRunning(binaries: PgBinaries, pgDir: string, user: OsUser | undefined): Promise<boolean> {
  try {
    await run(binaries.pgCtl, ['status', '-D', pgDir], user ?? {});
    return true;
  } catch (e) {
    // pg_ctl status: 3 = not running; a stale postmaster.pid is left for `pg_ctl start`, which replaces it.
    if ((e as { code?: number }).code === 3) return false;
    throw new Error(`pg_ctl status failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
}

async function pgCtl(binaries: PgBinaries, user: OsUser | undefined, args: string[]): Promise<void> {
  try {
    await run(binaries.pgCtl, args, { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } catch (e) {
    throw new Error(`pg_ctl ${args[0]} failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
}
