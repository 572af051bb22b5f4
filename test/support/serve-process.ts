import { spawn, type ChildProcess } from 'node:child_process';
import { FHIRKEEP_BIN } from './cli.js';

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

/** A running `fhirkeep --json serve` process: a node as an operator starts one. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly printed: ServeDocument;
  /** Every log line the process has written so far (stdout, FHIRKEEP_LOG_LEVEL permitting). */
  readonly logs: readonly LogLine[];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code (a clean shutdown exits 0). */
  stop(): Promise<number | null>;
}

/**
 * Starts the built `fhirkeep --json serve` (dist/, so `npm run build` must have run) with these
 * environment variables over the test's own, and resolves once it printed its document (it
 * listens then). Rejects with its standard error if it exits first.
 */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [FHIRKEEP_BIN, '--json', 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    baseUrl: printed.baseUrl,
    printed,
    logs,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
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
