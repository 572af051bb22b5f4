import type { Sql } from 'postgres';
import type { Logger } from 'pino';
import type { FhirkeepConfig } from '../../config/schema.js';
import { createPool } from '../pool.js';
import { startReplicaMonitor } from './replica-monitor.js';
import { replicaRouting, type SearchRouting } from './search-routing.js';
import { WriterPositions } from './writer-positions.js';

/** How often the replica's replay position (and the primary's WAL position) is polled. */
const POLL_MS = 50;
/** Writers remembered per node until the replica replays their writes (docs/replicas.md). */
const WRITERS = 10_000;

/**
 * The replica's pool and the monitor that says when it may answer. Nothing here waits for the
 * replica: a node starts (and stays ready) while it is down, and searches use the primary.
 */
export async function openReplicaRouting(replica: NonNullable<FhirkeepConfig['replica']>, primaryUrl: string, primarySearch: Sql, logger: Logger): Promise<SearchRouting> {
  const [setting] = await primarySearch<{ value: string }[]>`select current_setting('synchronous_commit') as value`;
  if (setting?.value === 'off') {
    logger.warn('synchronous_commit is off on the primary: a client may not see its own latest writes in searches (docs/replicas.md)');
  }
  const positions = new WriterPositions(WRITERS);
  const monitor = startReplicaMonitor({
    primary: createPool(primaryUrl, 1, logger, false),
    replica: createPool(replica.url, 1, logger, false),
    positions,
    maxLagMs: replica.maxLagMs,
    intervalMs: POLL_MS,
    logger,
  });
  return replicaRouting({ primary: primarySearch, replica: createPool(replica.url, replica.poolSize, logger, false), monitor, positions, logger });
}
