import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Server {
  readonly name: string;
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Milliseconds from spawn to the first 200 from the ready path. */
  readonly readyMs: number;
  /** Throws, with the end of its output, if the server has exited (it crashed or was killed). */
  assertRunning(): void;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

export interface ServerSpec {
  readonly name: string;
  /** Arguments to node (this same node binary). */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  /** Polled until it answers 200, e.g. /readyz. */
  readonly readyPath: string;
  readonly timeoutMs?: number;
}

const live = new Map<ChildProcess, Promise<void>>();
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;

/** Spawns a server as its own process and waits until its ready path answers 200. */
export async function startServer(spec: ServerSpec): Promise<Server> {
  const started = performance.now();
  // Settings from the caller's shell (e.g. FHIRKEEP_DATABASE_URL) must not change what is measured.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FHIRKEEP_')));
  const child = spawn(process.execPath, [...spec.args], { env: { ...inherited, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  live.set(child, exited);
  void exited.then(() => live.delete(child));

  const url = `http://127.0.0.1:${spec.port}`;
  const stop = async (): Promise<void> => stopChild(child, exited);
  const assertRunning = (when: string): void => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) ${when}:\n${output}`);
    }
  };
  const deadline = started + (spec.timeoutMs ?? 60_000);
  for (;;) {
    assertRunning('before it was ready');
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} was not ready within ${spec.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    if (await answers200(`${url}${spec.readyPath}`)) break;
    await sleep(10);
  }
  return {
    name: spec.name,
    pid: child.pid ?? 0,
    url,
    readyMs: performance.now() - started,
    assertRunning: () => assertRunning('during the benchmark'),
    stop,
  };
}

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // not listening yet
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export { freePort } from '../src/storage/cluster/free-port.js';

/** Resident set size in MB, from /proc/<pid>/status (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] === undefined ? Number.NaN : Number(m[1]) / 1024;
}

/** User + system CPU time of a process in ms (0 once it has gone), from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Linux reports them in USER_HZ ticks, 100 per second on every common architecture.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time the whole machine spent busy (all cores, all processes) in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]
    ?.split(/\s+/)
    .map(Number) ?? [];
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** Share of all cores busy over `ms` while this process waits: other work on the machine. */
export async function busyShare(ms: number): Promise<number> {
  const before = machineBusyMs();
  await sleep(ms);
  return (machineBusyMs() - before) / (ms * cpus().length);
}

/** The pids whose parent is `ppid` (e.g. the PostgreSQL backends of a postmaster). */
export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Runs at clean-up, after every child has stopped (e.g. stop a database a killed child left behind). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** Stops every child still running (SIGTERM, then SIGKILL), then runs the clean-ups; once. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...live.keys()].map((c) => stopChild(c, live.get(c) ?? Promise.resolve())));
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`clean-up: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Last resort when the bench exits without cleaning up: no server outlives it. */
process.once('exit', () => {
  for (const child of live.keys()) child.kill('SIGKILL');
});
