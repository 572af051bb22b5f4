import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `fhirkeep` binary (dist/), as a user runs it. */
export const FHIRKEEP_BIN = fileURLToPath(new URL('../../bin/fhirkeep.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a `fhirkeep` command to completion with extra environment variables and, if given, this standard input. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  return spawnCli(args, env, stdin).result;
}

/** Starts a `fhirkeep` command, for a test that acts while it runs (signals it, say); `result` settles when it exits. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}, stdin?: string): { readonly child: ChildProcess; readonly result: Promise<CliResult> } {
  const child = spawn(process.execPath, [FHIRKEEP_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  // Without input the pipe closes at once: the command reads end-of-file, as from /dev/null.
  child.stdin.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, result };
}

/**
 * `fhirkeep` on a test's database and data directory, read when each command runs (tests set
 * them in `before`): `cli` gives the whole result, `json` runs with `--json`, asserts success and
 * parses what it printed.
 */
export function cliOn(target: () => { readonly databaseUrl: string; readonly dataDir: string }) {
  const cli = (...args: string[]): Promise<CliResult> => {
    const { databaseUrl, dataDir } = target();
    return runCli(args, { FHIRKEEP_DATABASE_URL: databaseUrl, FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_LOG_LEVEL: 'warn' });
  };
  // Loosely typed on purpose: each test reads the fields of the command it ran.
  const json = async (...args: string[]): Promise<Record<string, any>> => {
    const { code, stdout, stderr } = await cli('--json', ...args);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as Record<string, unknown>;
  };
  return { cli, json };
}
