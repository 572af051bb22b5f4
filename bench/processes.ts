import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Child {
  readonly process: ChildProcess;
  /** The first line the child printed (its JSON "ready" line). */
  readonly ready: Record<string, unknown>;
  /** Milliseconds from spawn to that line. */
  readonly startMs: number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Spawns a process and waits for its first stdout line, which it prints once it serves. */
export async function startChild(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exited.then((code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
  const startMs = performance.now() - started;
  return {
    process: child,
    ready: JSON.parse(line) as Record<string, unknown>,
    startMs,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] === undefined ? Number.NaN : Number(m[1]) / 1024;
}

/** Never leave servers behind, whatever ends the benchmark. */
export function killAllChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}
