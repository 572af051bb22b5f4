import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { systemBinaries, type PgBinaries } from '../../src/storage/cluster/binaries.js';
import { freePort } from '../../src/storage/cluster/free-port.js';
import { openLocalCluster, type LocalCluster } from '../../src/storage/cluster/local-cluster.js';
import { clusterUser } from '../../src/storage/cluster/os-user.js';
import { stopPostmaster } from '../../src/storage/cluster/postmaster.js';

const run = promisify(execFile);
const DATABASE = 'fhirkeep_replica_test';

/**
 * A primary and a hot standby streaming from it (PostgreSQL's own physical replication), made
 * with the system's server binaries in a temporary directory: the primary by the same code that
 * runs Fhirkeep's local clusters, the standby with `pg_basebackup -R` on a port of its own.
 */
export interface StreamingReplica {
  /** The primary's database (FHIRKEEP_DATABASE_URL). */
  readonly primaryUrl: string;
  /** The same database on the standby (FHIRKEEP_DATABASE_REPLICA_URL). */
  readonly replicaUrl: string;
  /** A superuser connection to the standby, for pausing and resuming its replay. */
  readonly standby: postgres.Sql;
  /** Stops the standby (what a test of a replica gone away needs). */
  stopStandby(): Promise<void>;
  /** Stops both servers and removes their directory; safe to call more than once. */
  remove(): Promise<void>;
}

/** The system's PostgreSQL server binaries, or undefined (the test then skips, saying why). */
export function replicationBinaries(): PgBinaries | undefined {
  const found = systemBinaries();
  return found !== undefined && existsSync(basebackupOf(found)) ? found : undefined;
}

export async function startStreamingReplica(binaries: PgBinaries): Promise<StreamingReplica> {
  const root = mkdtempSync(join(tmpdir(), 'fhirkeep-replica-'));
  const user = clusterUser();
  // As root, the servers and pg_basebackup run as the unprivileged cluster user, who must reach and write here.
  chmodSync(root, 0o755);
  if (user !== undefined) chownSync(root, user.uid, user.gid);
  const standbyDir = join(root, 'standby');
  let primary: LocalCluster | undefined;
  let standby: postgres.Sql | undefined;
  let standbyRunning = false;
  const stopStandby = async () => {
    await standby?.end({ timeout: 1 });
    if (standbyRunning) await stopPostmaster(standbyDir, 60_000);
    standbyRunning = false;
  };
  let removal: Promise<void> | undefined;
  const remove = () => {
    removal ??= (async () => {
      try {
        await stopStandby();
      } finally {
        await primary?.stop();
        rmSync(root, { recursive: true, force: true });
      }
    })();
    return removal;
  };
  try {
    // PostgreSQL ≥ 10 defaults to wal_level=replica with WAL senders, and initdb's pg_hba.conf lets 127.0.0.1 replicate.
    primary = await openLocalCluster({ dataDir: join(root, 'primary'), binaries, mode: 'own', tcpPort: await freePort(), log: () => {} });
    const c = primary.connection;
    const admin = postgres({ host: c.host, port: c.port, user: c.user, password: c.password, database: 'postgres', max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database ${DATABASE}`);
    } finally {
      await admin.end({ timeout: 1 });
    }
    const asUser = { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C', PGPASSWORD: c.password } };
    // -R writes standby.signal and primary_conninfo (with the password it connected with).
    await run(basebackupOf(binaries), ['-D', standbyDir, '-h', c.host, '-p', String(c.port), '-U', c.user, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'], asUser);
    const port = await freePort();
    // Command-line settings override the primary's copied ones: its own port, TCP only, its own log.
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c hot_standby=on`;
    await run(binaries.pgCtl, ['start', '-D', standbyDir, '-w', '-t', '60', '-s', '-l', join(standbyDir, 'server.log'), '-o', options], asUser);
    standbyRunning = true;
    const url = (p: number) => `postgres://${c.user}:${encodeURIComponent(c.password)}@127.0.0.1:${p}/${DATABASE}`;
    standby = postgres(url(port), { max: 1, onnotice: () => {} });
    await waitForStreaming(standby);
    return { primaryUrl: url(c.port), replicaUrl: url(port), standby, stopStandby, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** Beside the real initdb (PATH may hold a symlink to it, e.g. /usr/local/bin/initdb). */
function basebackupOf(binaries: PgBinaries): string {
  return join(dirname(realpathSync(binaries.initdb)), 'pg_basebackup');
}

/** Until the standby's WAL receiver streams from the primary. */
async function waitForStreaming(standby: postgres.Sql): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await standby<{ status: string | null }[]>`select (select status from pg_stat_wal_receiver) as status`;
    if (row?.status === 'streaming') return;
    if (Date.now() > deadline) throw new Error(`the standby does not stream (WAL receiver: ${row?.status ?? 'none'})`);
    await sleep(50);
  }
}
