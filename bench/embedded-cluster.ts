/**
 * The benchmark's view of the PostgreSQL cluster Fhirkeep runs under FHIRKEEP_DATA_DIR, so the
 * SQL baseline can use the very same cluster. Coupled to the data directory's layout on purpose
 * (`pg/`, `pg-password`, superuser and database `fhirkeep`: see src/storage/cluster/local-cluster.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ClusterConnection } from '../src/storage/cluster/local-cluster.js';

export type { ClusterConnection };

interface Postmaster {
  readonly pid: number;
  readonly port: number;
  readonly socketDir: string;
}

/** How to reach the cluster a running `fhirkeep serve` started in `dataDir`. */
export function clusterConnection(dataDir: string, database = 'fhirkeep'): ClusterConnection {
  const postmaster = readPostmaster(dataDir);
  if (postmaster === undefined) throw new Error(`No PostgreSQL is running in ${dataDir}/pg`);
  return {
    host: postmaster.socketDir,
    port: postmaster.port,
    user: 'fhirkeep',
    password: readFileSync(join(dataDir, 'pg-password'), 'utf8').trim(),
    database,
  };
}

/** The postmaster's pid, whose children are the backends (for their CPU time). */
export function postmasterPid(dataDir: string): number | undefined {
  return readPostmaster(dataDir)?.pid;
}

/**
 * Stops a postmaster that outlived its Fhirkeep (killed rather than stopped): fast shutdown
 * (SIGINT), then immediate shutdown (SIGQUIT) if it is still there after 10 s.
 */
export async function stopLeftoverPostmaster(dataDir: string): Promise<void> {
  const postmaster = readPostmaster(dataDir);
  if (postmaster === undefined || !isPostmasterOf(postmaster.pid, dataDir)) return;
  process.kill(postmaster.pid, 'SIGINT');
  for (let waited = 0; waited < 10_000 && isAlive(postmaster.pid); waited += 100) await sleep(100);
  if (isAlive(postmaster.pid)) process.kill(postmaster.pid, 'SIGQUIT');
}

/** PostgreSQL's postmaster.pid: pid, data directory, start time, port, socket directory, … one a line. */
function readPostmaster(dataDir: string): Postmaster | undefined {
  const file = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const [pid, , , port, socketDir] = readFileSync(file, 'utf8').split('\n');
  if (pid === undefined || port === undefined || socketDir === undefined) return undefined;
  return { pid: Number(pid), port: Number(port), socketDir };
}

/** Guards against a recycled pid: the process must be a postgres running on this data directory. */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(dataDir, 'pg'));
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
