import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isRunning } from './postmaster.js';

export type Claim = { readonly kind: 'claimed' } | { readonly kind: 'owned-by'; readonly pid: number };

/**
 * Claims `<dataDir>/fhirkeep.pid` for this process: created exclusively (O_EXCL), so of two
 * Fhirkeeps starting at once exactly one owns the cluster. A file naming a dead process (a
 * kill -9) is stale and taken over. The running cluster's port and socket are not recorded
 * here: the postmaster's own postmaster.pid holds them authoritatively.
 */
export function claimOwnership(lockFile: string): Claim {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return { kind: 'claimed' };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = liveOwner(lockFile);
    if (owner === process.pid) return { kind: 'claimed' };
    if (owner !== undefined) return { kind: 'owned-by', pid: owner };
    rmSync(lockFile, { force: true });
  }
  throw new Error(`Could not claim ${lockFile}: other processes keep replacing it`);
}

/** Gives the directory up, unless another process has (wrongly) taken it over meanwhile. */
export function releaseOwnership(lockFile: string): void {
  if (pidIn(lockFile) === process.pid) rmSync(lockFile, { force: true });
}

/** The pid in the lock file, if that process is a live Node process. */
function liveOwner(lockFile: string): number | undefined {
  const pid = pidIn(lockFile);
  if (pid === undefined || !isRunning(pid) || !isNodeProcess(pid)) return undefined;
  return pid;
}

function pidIn(lockFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Guards against a recycled pid: the owner must be a Node process. */
function isNodeProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc: trust the live pid
  }
}
