import { fileURLToPath } from 'node:url';
import { freePort, startServer, type Server } from './process.js';

const fhirkeepBin = fileURLToPath(new URL('../bin/fhirkeep.js', import.meta.url));

/**
 * Fhirkeep as a user starts it: `fhirkeep serve` on the default engine (embedded PostgreSQL) in
 * `dataDir`, authorization off so the bench needs no token, quiet logs.
 */
export async function startFhirkeep(dataDir: string): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: 'fhirkeep serve',
    args: [fhirkeepBin, 'serve'],
    env: {
      FHIRKEEP_DATA_DIR: dataDir,
      FHIRKEEP_HOST: '127.0.0.1',
      FHIRKEEP_PORT: String(port),
      FHIRKEEP_DEV_NO_AUTH: '1',
      FHIRKEEP_LOG_LEVEL: 'warn',
    },
    port,
    readyPath: '/readyz',
  });
}
