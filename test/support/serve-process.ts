import { spawn, type ChildProcess } from 'node:child_process';
import { FHIRKEEP_BIN } from './cli.js';
import { until } from './table-lock.js';

/** One line of a node's pino log, as parsed from its standard output. */
export interface LogLine {
  readonly level: number;
  readonly msg?: string;
  // Each test reads the fields of the lines it looks for.
  readonly [field: string]: unknown;
}

/** The `--json` document `serve` prints once it listens (src/cli/serve.ts). */
export interface ServeDocument {
  readonly baseUrl: string;
  /** Present on the start that made the first admin. */
  readonly admin?: { readonly email: string; readonly password?: string };
  /** Present on the start that loaded the demo. */
  readonly demo?: { readonly patients: string[]; readonly service: { readonly apiKey: string } };
}

/** How a process ended: its exit code, or the signal that killed it. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `fhirkeep --json serve` process: a node as an operator starts one. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** e.g. http://localhost:41234 */
  readonly baseUrl: string;
  readonly port: number;
  readonly printed: ServeDocument;
  /** Every log line the process has written so far (stdout, FHIRKEEP_LOG_LEVEL permitting). */
  readonly logs: readonly LogLine[];
  readonly exited: Promise<Exit>;
  /** Resolves once it has logged a line whose message starts with `msg`. */
  logged(msg: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code (a clean shutdown exits 0). */
  stop(): Promise<number | null>;
}

/**
 * Starts the built `fhirkeep --json serve` (dist/, so `npm run build` must have run) with these
 * settings (FHIRKEEP_PORT 0 and info-level logs unless given) and resolves once it printed its
 * document (it listens then). The test process's own FHIRKEEP_* variables are left out: Fhirkeep
 * refuses settings it does not know, such as the test harness's. Rejects with its standard error
 * if it exits first.
 */
export async function startServe(settings: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [FHIRKEEP_BIN, '--json', 'serve'], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FHIRKEEP_'))),
      FHIRKEEP_PORT: '0',
      FHIRKEEP_LOG_LEVEL: 'info',
      ...settings,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const logs: LogLine[] = [];
  const printed = await new Promise<ServeDocument>((resolve, reject) => {
    let pending = '';
    child.stdout?.on('data', (d: Buffer) => {
      pending += d.toString();
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = parseLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        // pino lines carry a numeric level; serve's document does not.
        if (typeof line?.level === 'number') logs.push(line as LogLine);
        else if (typeof line?.baseUrl === 'string') resolve(line as unknown as ServeDocument);
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`serve exited with ${code ?? signal}: ${stderr}`)));
  });
  return {
    child,
    pid: child.pid ?? 0,
    baseUrl: printed.baseUrl,
    port: Number(new URL(printed.baseUrl).port),
    printed,
    logs,
    exited,
    logged: (msg, timeoutMs = 15_000) => until(`serve logs "${msg}"`, () => logs.some((l) => l.msg?.startsWith(msg) === true), timeoutMs),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

function parseLine(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
