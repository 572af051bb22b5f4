import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { createFhirkeep, type Fhirkeep } from '../../src/server.js';
import { createTestDatabase } from './database.js';

export interface TestServer {
  readonly fhirkeep: Fhirkeep;
  /** e.g. http://localhost:41234 */
  readonly baseUrl: string;
  /** e.g. http://localhost:41234/fhir */
  readonly fhirBase: string;
  close(): Promise<void>;
}

/**
 * Starts Fhirkeep on a free port over its own fresh database (on the server the test harness
 * runs: embedded or external PostgreSQL), so every test file drives a real server over HTTP.
 */
export async function startTestServer(settings: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = parseConfig({
    FHIRKEEP_PORT: '0',
    FHIRKEEP_DATABASE_URL: database.url,
    FHIRKEEP_LOG_LEVEL: 'silent',
    ...settings,
  });
  const fhirkeep = await createFhirkeep(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  const baseUrl = await fhirkeep.listen();
  return {
    fhirkeep,
    baseUrl,
    fhirBase: `${baseUrl}/fhir`,
    async close() {
      await fhirkeep.close();
      await database.drop();
    },
  };
}
