import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { createFhirkeep, type Fhirkeep, type FhirkeepOptions } from '../../src/server.js';
import { createTestDatabase } from './database.js';
import { httpClient, type HttpClient } from './http.js';

export interface TestServer {
  readonly fhirkeep: Fhirkeep;
  /** e.g. http://localhost:41234 */
  readonly baseUrl: string;
  /** e.g. http://localhost:41234/fhir */
  readonly fhirBase: string;
  /** The server's own database (a second node can be started on it). */
  readonly databaseUrl: string;
  close(): Promise<void>;
}

/**
 * The key-encryption key of every server this test process starts, as a deployment gives all
 * its nodes one (a key file in the working directory's data folder would leak between runs).
 */
export const TEST_NODE_SETTINGS = {
  FHIRKEEP_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  FHIRKEEP_LOG_LEVEL: 'silent',
} as const;

/**
 * Starts Fhirkeep on a free port over its own fresh database (on the server the test harness
 * runs: embedded or external PostgreSQL), so every test file drives a real server over HTTP.
 */
export async function startTestServer(settings: Record<string, string> = {}, options: Pick<FhirkeepOptions, 'clock'> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = parseConfig({
    FHIRKEEP_PORT: '0',
    FHIRKEEP_DATABASE_URL: database.url,
    ...TEST_NODE_SETTINGS,
    ...settings,
  });
  const fhirkeep = await createFhirkeep(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...options });
  const baseUrl = await fhirkeep.listen();
  return {
    fhirkeep,
    baseUrl,
    fhirBase: `${baseUrl}/fhir`,
    databaseUrl: database.url,
    async close() {
      await fhirkeep.close();
      await database.drop();
    },
  };
}

/** Another node of a deployment: its own listener on an existing database, which it leaves in place. */
export interface TestNode {
  readonly fhirkeep: Fhirkeep;
  readonly baseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts a node on `databaseUrl` (a TestServer's), with the test nodes' shared settings and
 * `settings`; `options.logger` for a test that reads what the node logs.
 */
export async function startNode(databaseUrl: string, settings: Record<string, string> = {}, options: Pick<FhirkeepOptions, 'logger'> = {}): Promise<TestNode> {
  const config = parseConfig({ FHIRKEEP_PORT: '0', FHIRKEEP_DATABASE_URL: databaseUrl, ...TEST_NODE_SETTINGS, ...settings });
  const fhirkeep = await createFhirkeep(config, { logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  const baseUrl = await fhirkeep.listen();
  return { fhirkeep, baseUrl, close: () => fhirkeep.close() };
}

export interface FileServer {
  /** The running server (valid inside tests, after the file's `before` hook). */
  readonly server: TestServer;
  /** An HTTP client rooted at the server's FHIR base. */
  readonly fhir: HttpClient;
}

/** Starts one server for the calling test file before its tests and stops it after them. */
export function serverForThisFile(settings: Record<string, string> = {}): FileServer {
  let server: TestServer | undefined;
  let fhir: HttpClient | undefined;
  before(async () => {
    server = await startTestServer(settings);
    fhir = httpClient(server.fhirBase);
  });
  after(() => server?.close());
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test server starts in the before hook');
    return value;
  };
  return {
    get server() {
      return ready(server);
    },
    get fhir() {
      return ready(fhir);
    },
  };
}
