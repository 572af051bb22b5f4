import postgres, { type Sql } from 'postgres';
import type { Logger } from 'pino';
import type { ClusterConnection } from './cluster/local-cluster.js';

/**
 * A postgres.js pool of at most `max` connections; `prepare: false` for searches (see
 * Database.searchSql). `applicationName` tells its connections apart in pg_stat_activity.
 */
export function createPool(target: string | ClusterConnection, max: number, logger: Logger, prepare: boolean, applicationName = 'fhirkeep'): Sql {
  const common = {
    max,
    prepare,
    // Connections are opened on demand and kept; idle ones close after a minute.
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: (n: postgres.Notice) => logger.debug({ notice: n.message }, 'PostgreSQL notice'),
    // A 2xx is sent only after the commit is on disk, whatever the server's default (a DBA may
    // have turned it off for others): no acknowledged write is lost in a crash (docs/crash-safety.md).
    connection: { application_name: applicationName, synchronous_commit: 'on' },
  };
  return typeof target === 'string' ? postgres(target, common) : postgres({ ...target, ...common });
}
