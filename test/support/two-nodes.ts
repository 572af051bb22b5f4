import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/storage/cluster/free-port.js';
import { createEmptyDatabase } from './database.js';
import { TEST_NODE_SETTINGS } from './fhirkeep-server.js';
import { startServe, type ServeProcess } from './serve-process.js';

/** A node of the deployment: its `serve` process, and where it listens (its own ports). */
export interface DeploymentNode {
  readonly process: ServeProcess;
  /** This node's own HTTP listener, e.g. http://localhost:41234. */
  readonly url: string;
  /** This node's own mTLS listener, e.g. https://localhost:41235. */
  readonly mtlsUrl: string;
}

/**
 * Two `fhirkeep serve` processes of one deployment (docs/multi-node.md): one PostgreSQL database,
 * one key-encryption key, one data directory (export files) and one public base URL, as behind a
 * load balancer, each node on ports of its own. Both start at the same moment on an empty
 * database, so they race for every first-start step (migrations, seeds, the first admin).
 */
export interface TwoNodes {
  readonly a: DeploymentNode;
  readonly b: DeploymentNode;
  /** The public base URL both nodes were given (FHIRKEEP_BASE_URL): tokens' audience and issuer. */
  readonly baseUrl: string;
  readonly databaseUrl: string;
  /** The first admin both were told to make (FHIRKEEP_ADMIN_EMAIL / FHIRKEEP_ADMIN_PASSWORD). */
  readonly admin: { readonly email: string; readonly password: string };
  /** Stops both nodes (each must exit cleanly), then drops the database and the data directory. */
  close(): Promise<void>;
}

export const NODE_ADMIN = { email: 'operator@example.org', password: 'two nodes, one database' } as const;

export async function startTwoNodes(): Promise<TwoNodes> {
  const database = await createEmptyDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-nodes-'));
  chmodSync(dataDir, 0o755);
  const [portA, portB, mtlsA, mtlsB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const baseUrl = `http://localhost:${portA}`;
  const shared = {
    ...TEST_NODE_SETTINGS,
    FHIRKEEP_DATABASE_URL: database.url,
    FHIRKEEP_DATA_DIR: dataDir,
    FHIRKEEP_BASE_URL: baseUrl,
    FHIRKEEP_ADMIN_EMAIL: NODE_ADMIN.email,
    FHIRKEEP_ADMIN_PASSWORD: NODE_ADMIN.password,
    // info: what each node did at its start (migrations, seeds, the admin) is in its log.
    FHIRKEEP_LOG_LEVEL: 'info',
  };
  const start = (port: number, mtls: number) => startServe({ ...shared, FHIRKEEP_PORT: String(port), FHIRKEEP_MTLS_PORT: String(mtls) });
  const started = await Promise.allSettled([start(portA, mtlsA), start(portB, mtlsB)]);
  const stopAll = async () => {
    const codes = await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : null)));
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
    return codes;
  };
  const [a, b] = started;
  if (a?.status !== 'fulfilled' || b?.status !== 'fulfilled') {
    await stopAll();
    throw (a?.status === 'rejected' ? a.reason : b?.status === 'rejected' ? b.reason : new Error('no nodes')) as Error;
  }
  return {
    a: { process: a.value, url: `http://localhost:${portA}`, mtlsUrl: `https://localhost:${mtlsA}` },
    b: { process: b.value, url: `http://localhost:${portB}`, mtlsUrl: `https://localhost:${mtlsB}` },
    baseUrl,
    databaseUrl: database.url,
    admin: NODE_ADMIN,
    async close() {
      const codes = await stopAll();
      if (codes.some((code) => code !== 0)) throw new Error(`a node did not exit cleanly: exit codes ${codes.join(', ')}`);
    },
  };
}
