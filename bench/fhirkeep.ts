import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopLeftoverPostmaster } from './embedded-cluster.js';
import { freePort, onCleanup, startServer, type Server } from './process.js';

const fhirkeepBin = fileURLToPath(new URL('../bin/fhirkeep.js', import.meta.url));

const NEVER_REACHED = String(1_000_000_000);
const BENCH_RATE_LIMITS = {
  FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT: NEVER_REACHED,
  FHIRKEEP_RATE_LIMIT_FHIR_PER_IP: NEVER_REACHED,
  FHIRKEEP_RATE_LIMIT_TOKEN_PER_CLIENT: NEVER_REACHED,
  FHIRKEEP_RATE_LIMIT_TOKEN_PER_IP: NEVER_REACHED,
} as const;

/**
 * Fhirkeep as a user starts it: `fhirkeep serve` on the default engine (embedded PostgreSQL) in
 * `dataDir`, authorization off so the bench needs no token, quiet logs; with `mtlsPort`, the mTLS
 * listener there too; `env`, further settings (e.g. the export's).
 */
export async function startFhirkeep(dataDir: string, options: { readonly mtlsPort?: number; readonly env?: Readonly<Record<string, string>> } = {}): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: 'fhirkeep serve',
    args: [fhirkeepBin, 'serve'],
    env: {
      FHIRKEEP_DATA_DIR: dataDir,
      FHIRKEEP_HOST: '127.0.0.1',
      FHIRKEEP_PORT: String(port),
      FHIRKEEP_DEV_NO_AUTH: '1',
      // The servers compared must hold the same records: no demo patients on top of the workload.
      FHIRKEEP_DEMO: '0',
      FHIRKEEP_LOG_LEVEL: 'warn',
      // One address and two clients send everything: limits on (their checks are in every row's
      // cost, memory store) but far above what this machine can send, so nothing is throttled.
      ...BENCH_RATE_LIMITS,
      ...(options.mtlsPort === undefined ? {} : { FHIRKEEP_MTLS_PORT: String(options.mtlsPort) }),
      ...options.env,
    },
    port,
    readyPath: '/readyz',
  });
}

/** A fresh data directory for one run, removed (with any postmaster left in it) however the run ends. */
export function freshDataDir(): string {
  const work = mkdtempSync(join(tmpdir(), 'fhirkeep-bench-'));
  // As root the cluster runs as an unprivileged user, who must be able to reach the data directory.
  chmodSync(work, 0o755);
  const dataDir = join(work, 'data');
  onCleanup(() => rmSync(work, { recursive: true, force: true }));
  onCleanup(() => stopLeftoverPostmaster(dataDir));
  return dataDir;
}
