import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { PgBinaries } from './binaries.js';
import { assertReachable, clusterUser, type OsUser } from './os-user.js';
import { claimOwnership, releaseOwnership } from './owner-lock.js';
import { readPostmasterPid, runningPostmaster, stopPostmaster, waitForLeftovers, waitUntilReady, type Postmaster } from './postmaster.js';

const run = promisify(execFile);

/** How to reach a local cluster: its Unix socket directory, or 127.0.0.1 when asked for TCP. */
export interface ClusterConnection {
  /** Directory of the Unix socket (postgres.js and libpq take it as `host`), or `127.0.0.1`. */
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
 * Data directories whose cluster this process runs. The lock file cannot tell: after a restart
 * (a container's PID 1, say) a stale one may carry our own pid.
 */
const openHere = new Set<string>();
/** Start, crash recovery and shutdown (a checkpoint) of a large cluster can take a while. */
const PG_TIMEOUT_MS = 120_000;

/**
 * Opens the private PostgreSQL cluster under `<dataDir>/pg`: initialises it on first use,
 * starts it, or adopts one left running by a crashed owner (a kill -9 of Fhirkeep leaves the
 * postmaster alive; adopting it is faster than a restart and loses nothing). Ownership is
 * recorded in `<dataDir>/fhirkeep.pid` so the CLI can tell a live server's cluster from an orphan.
 */
export async function openLocalCluster(options: OpenClusterOptions): Promise<LocalCluster> {
  const { binaries, mode, log } = options;
  // Absolute, because PostgreSQL resolves a relative socket directory against its data directory.
  const dataDir = resolve(options.dataDir);
  const user = clusterUser();
  const pgDir = join(dataDir, 'pg');
  const lockFile = join(dataDir, 'fhirkeep.pid');
  const passwordFile = join(dataDir, 'pg-password');
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  if (user !== undefined) {
    // When root runs the cluster as another user, that user must be able to reach the directory.
    chmodSync(dataDir, 0o755);
    assertReachable(user, dataDir);
  }

  if (openHere.has(dataDir)) {
    if (mode === 'own') throw new Error(`The data directory ${dataDir} is already open in this process`);
    return { connection: connectionTo(await waitUntilReady(pgDir, PG_TIMEOUT_MS), passwordFile), owned: false, stop: async () => {} };
  }
  const claim = claimOwnership(lockFile);
  if (claim.kind === 'owned-by') {
    if (mode === 'own') {
      throw new Error(
        `The data directory ${dataDir} is in use by Fhirkeep process ${claim.pid}. Stop it first, or run several nodes on one FHIRKEEP_DATABASE_URL.`,
      );
    }
    // The owner may still be initialising or starting the cluster.
    if (readPostmasterPid(pgDir)?.status !== 'ready') log(`waiting for the PostgreSQL cluster of Fhirkeep process ${claim.pid} to be ready`);
    const running = await waitUntilReady(pgDir, PG_TIMEOUT_MS);
    return { connection: connectionTo(running, passwordFile), owned: false, stop: async () => {} };
  }

  let socketDir: string;
  try {
    socketDir = socketDirectory(dataDir, user);
    if (!existsSync(join(pgDir, 'PG_VERSION'))) {
      log(`initialising a new PostgreSQL cluster in ${pgDir}`);
      await initialise(binaries, dataDir, passwordFile, user);
    }
    writeSettings(pgDir, socketDir, user, options.tcpPort);
    const wanted = { port: options.tcpPort ?? PORT, socketDir, listenAddress: options.tcpPort === undefined ? '' : '127.0.0.1' };
    await startOrAdopt(binaries, pgDir, user, wanted, log);
  } catch (e) {
    releaseOwnership(lockFile);
    throw e;
  }
  openHere.add(dataDir);
  let stopping: Promise<void> | undefined;
  return {
    connection: {
      host: options.tcpPort === undefined ? socketDir : '127.0.0.1',
      port: options.tcpPort ?? PORT,
      user: SUPERUSER,
      password: readPassword(passwordFile),
      database: DATABASE,
    },
    owned: true,
    stop() {
      stopping ??= stopPostmaster(pgDir, PG_TIMEOUT_MS).finally(() => {
        releaseOwnership(lockFile);
        openHere.delete(dataDir);
      });
      return stopping;
    },
  };
}

/**
 * Asks the postmaster of every cluster this process runs for a fast shutdown (open transactions
 * roll back) without waiting for it, and gives up ownership: for a process that must exit at
 * once (a second SIGTERM), so it leaves no database running behind it.
 */
export function stopOwnedClustersNow(): void {
  for (const dataDir of openHere) {
    const postmaster = runningPostmaster(join(dataDir, 'pg'));
    try {
      if (postmaster !== undefined) process.kill(postmaster.pid, 'SIGINT');
    } catch {
      // It exited meanwhile.
    }
    releaseOwnership(join(dataDir, 'fhirkeep.pid'));
  }
  openHere.clear();
}

/**
 * Starts the postmaster, or adopts one an owner killed with -9 left running (restarting it if it
 * runs with other settings than `wanted`). Stale lock files are cleared by `runningPostmaster`.
 */
async function startOrAdopt(
  binaries: PgBinaries,
  pgDir: string,
  user: OsUser | undefined,
  wanted: Pick<Postmaster, 'port' | 'socketDir' | 'listenAddress'>,
  log: (message: string) => void,
): Promise<void> {
  const running = runningPostmaster(pgDir);
  if (running !== undefined) {
    if (running.port === wanted.port && running.socketDir === wanted.socketDir && running.listenAddress === wanted.listenAddress) {
      log('adopting the PostgreSQL cluster left running by a previous Fhirkeep process');
      await waitUntilReady(pgDir, PG_TIMEOUT_MS);
      return;
    }
    log('restarting the PostgreSQL cluster left running by a previous Fhirkeep process, with different settings');
    await stopPostmaster(pgDir, PG_TIMEOUT_MS);
  }
  await waitForLeftovers(pgDir, 10_000);
  await pgCtl(binaries, user, ['start', '-D', pgDir, '-w', '-t', String(PG_TIMEOUT_MS / 1000), '-s', '-l', join(pgDir, 'server.log')]);
}

function connectionTo(running: Postmaster, passwordFile: string): ClusterConnection {
  return { host: running.socketDir, port: running.port, user: SUPERUSER, password: readPassword(passwordFile), database: DATABASE };
}

function readPassword(passwordFile: string): string {
  return readFileSync(passwordFile, 'utf8').trim();
}

/**
 * initdb into a scratch directory renamed into place when complete, so a crash mid-way never
 * leaves a half-made cluster that later starts would trip over.
 */
async function initialise(binaries: PgBinaries, dataDir: string, passwordFile: string, user: OsUser | undefined): Promise<void> {
  const password = randomBytes(24).toString('base64url');
  const scratch = join(dataDir, 'pg.initdb');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { mode: 0o700 });
  const pwfile = join(dataDir, `.initdb-pw-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user !== undefined) {
    chownSync(scratch, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  try {
    await run(
      binaries.initdb,
      ['-D', scratch, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--no-instructions'],
      { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
  appendFileSync(join(scratch, 'postgresql.conf'), "\ninclude_if_exists = 'fhirkeep.conf'\n");
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  renameSync(scratch, join(dataDir, 'pg'));
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

async function pgCtl(binaries: PgBinaries, user: OsUser | undefined, args: string[]): Promise<void> {
  try {
    await run(binaries.pgCtl, args, { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } catch (e) {
    throw new Error(`pg_ctl ${args[0]} failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
}
