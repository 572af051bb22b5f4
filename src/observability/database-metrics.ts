import { Gauge, type Registry } from 'prom-client';
import type { PoolConnections, PoolName } from '../storage/database-activity.js';
import { oncePerScrape, SCRAPE_QUERY_TIMEOUT_MS, withinTime } from './metrics.js';

export interface DatabaseSource {
  /** Connections each of the node's two pools may open. */
  readonly poolSize: number;
  /** This node's connections by pool and state (pg_stat_activity). */
  connections(): Promise<PoolConnections[]>;
  /** One round trip through the main pool: waits for a free connection when all are busy. */
  ping(): Promise<void>;
}

const POOLS: readonly PoolName[] = ['main', 'search'];

/**
 * The database as one node sees it, read at scrape time: postgres.js keeps no pool statistics,
 * and timing every query would tax every request. A ping through the pool shows its wait when
 * saturated; pg_stat_activity shows what the connections are doing.
 */
export function databaseMetrics(registry: Registry, source: DatabaseSource, timeoutMs = SCRAPE_QUERY_TIMEOUT_MS): void {
  const snapshot = oncePerScrape(async () => {
    const started = process.hrtime.bigint();
    const pinged = await withinTime(source.ping().then(() => true), timeoutMs);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const connections = pinged === true ? await withinTime(source.connections(), timeoutMs) : undefined;
    return { up: pinged === true, seconds, connections };
  });
  const max = new Gauge({
    name: 'fhirkeep_db_pool_max_connections',
    help: 'Connections each database pool of this node may open',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  for (const pool of POOLS) max.set({ pool }, source.poolSize);
  new Gauge({
    name: 'fhirkeep_db_up',
    help: 'Whether the database answered this scrape’s ping (1) or not within its time (0)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'fhirkeep_db_ping_seconds',
    help: 'Time of one select 1 through the main pool at scrape time, waiting for a free connection included (until it failed or timed out, when fhirkeep_db_up is 0)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).seconds);
    },
  });
  new Gauge({
    name: 'fhirkeep_db_connections',
    help: 'This node’s database connections by pool and pg_stat_activity state, at scrape time (LISTEN connections count as main)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    async collect() {
      const { connections } = await snapshot();
      this.reset();
      for (const c of connections ?? []) this.set({ pool: c.pool, state: c.state }, c.count);
    },
  });
}
