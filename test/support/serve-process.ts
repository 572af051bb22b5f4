import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { FHIRKEEP_BIN } from './cli.js';
import { until } from './table-lock.js';

/** A real `fhirkeep --json serve` process (dist/: build first). */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** e.g. http://localhost:41234 */
  readonly baseUrl: string;
  readonly port: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its log lines (pino JSON) so far. */
  readonly logs: { msg?: string }[];
  /** Resolves once it has logged a line whose message starts with `msg`. */
  logged(msg: string, timeoutMs?: number): Promise<void>;
}

/**
 * Starts `fhirkeep serve` with `settings` (FHIRKEEP_PORT 0 unless given; info-level logs, which
 * `logs` collects) and resolves once it listens. The test process's own FHIRKEEP_* variables are
 * left out: Fhirkeep refuses settings it does not know, such as the test harness's.
 */
export async function spawnServe(settings: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [FHIRKEEP_BIN, '--json', 'serve'], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FHIRKEEP_'))),
      FHIRKEEP_PORT: '0',
      FHIRKEEP_LOG_LEVEL: 'info',
      ...settings,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const logs: { msg?: string }[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let pending = '';
  let listening: (baseUrl: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => (listening = resolve));
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = JSON.parse(pending.slice(0, nl)) as { msg?: string; baseUrl?: string; fhir?: string };
      pending = pending.slice(nl + 1);
      // serve's --json result (the line without a msg) comes once it listens.
      if (line.fhir !== undefined && line.baseUrl !== undefined) listening(line.baseUrl);
      else logs.push(line);
    }
  });
  const baseUrl = await Promise.race([ready, exited.then(({ code, signal }) => assert.fail(`serve exited with ${code ?? signal}: ${stderr}`))]);
  return {
    child,
    pid: child.pid ?? 0,
    baseUrl,
    port: Number(new URL(baseUrl).port),
    exited,
    logs,
    logged: (msg, timeoutMs = 15_000) => until(`serve logs "${msg}"`, () => logs.some((l) => l.msg?.startsWith(msg) === true), timeoutMs),
  };
}
