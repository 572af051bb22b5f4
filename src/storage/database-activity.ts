import type { Sql } from 'postgres';

/** The two pools of a node (src/storage/database.ts): prepared statements, and searches. */
export type PoolName = 'main' | 'search';

/** How many of a pool's connections are in one pg_stat_activity state. */
export interface PoolConnections {
  readonly pool: PoolName;
  /** pg_stat_activity.state: active, idle, idle in transaction, …; `unknown` when PostgreSQL does not say. */
  readonly state: string;
  readonly count: number;
}

/** The application_name a node's pool connects with: `fhirkeep/<node>/<pool>`, so its connections can be told apart. */
export function applicationName(node: string, pool: PoolName): string {
  return `fhirkeep/${node}/${pool}`;
}

/**
 * This node's connections as PostgreSQL sees them, by pool and state (postgres.js keeps no pool
 * statistics). The connection asking is left out: it would always count as one active query.
 */
export async function poolConnections(sql: Sql, node: string): Promise<PoolConnections[]> {
  const prefix = `fhirkeep/${node}/`;
  const rows = await sql<{ name: string; state: string | null; n: number }[]>`
    select application_name as name, state, count(*)::int as n from pg_stat_activity
    where starts_with(application_name, ${prefix}) and pid <> pg_backend_pid()
    group by application_name, state`;
  return rows.flatMap((r) => {
    const pool = r.name.slice(prefix.length);
    return pool === 'main' || pool === 'search' ? [{ pool, state: r.state ?? 'unknown', count: r.n }] : [];
  });
}
