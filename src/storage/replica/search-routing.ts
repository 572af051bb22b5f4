import type { Sql } from 'postgres';
import type { Logger } from 'pino';
import type { Principal } from '../../access/principal.js';
import type { AccessScope } from '../../access/scope.js';
import { clientFaultOf } from '../database-errors.js';
import { replicaMayAnswer } from '../scope-sql.js';
import type { ReplicaMonitor } from './replica-monitor.js';
import type { WriterPositions } from './writer-positions.js';

/** Where a search runs: the read replica when docs/replicas.md's rule allows, else the primary. */
export interface SearchRouting {
  /** Runs `search` (its queries, on the pool given) on the replica or the primary; never fails because the replica does. */
  run<T>(scope: AccessScope, search: (sql: Sql) => Promise<T>): Promise<T>;
  /** A write in `scope` has committed on this node: its caller's searches see it from now on. */
  committed(scope: AccessScope): void;
  /** The replica's state for /readyz; undefined without one. */
  replica(): { readonly state: 'streaming' | 'lagging' | 'down'; readonly lagMs?: number } | undefined;
  close(): Promise<void>;
}

/** Without a replica: every search on the primary's search pool. */
export function primaryOnly(primary: Sql): SearchRouting {
  return {
    run: (_scope, search) => search(primary),
    committed: () => {},
    replica: () => undefined,
    close: async () => {},
  };
}

export interface ReplicaRoutingOptions {
  /** The primary's search pool (unnamed statements, like the replica's). */
  readonly primary: Sql;
  /** The replica's pool; closed with the routing. */
  readonly replica: Sql;
  readonly monitor: ReplicaMonitor;
  readonly positions: WriterPositions;
  readonly logger: Logger;
}

/**
 * Searches go to the replica when its state is `streaming` (answering, at most the maximum lag
 * behind), the scope's read rule needs no access data the replica may hold stale, and the caller
 * has no write on this node the replica has not replayed yet (read-your-writes). A search the
 * replica fails (it went away, or cancelled it for a conflict with recovery) runs again on the
 * primary; one the primary would refuse as well (bad input) is not retried.
 */
export function replicaRouting(options: ReplicaRoutingOptions): SearchRouting {
  const { primary, replica, monitor, positions, logger } = options;
  const onReplica = (scope: AccessScope): boolean => {
    if (!replicaMayAnswer(scope)) return false;
    const state = monitor.state();
    return state.kind === 'streaming' && !positions.mustReadPrimary(writerOf(scope.principal), state.replayed);
  };
  return {
    async run(scope, search) {
      if (!onReplica(scope)) return search(primary);
      try {
        return await search(replica);
      } catch (e) {
        if (clientFaultOf(e) !== undefined) throw e;
        logger.debug({ err: e }, 'a search failed on the read replica: running it on the primary');
        return search(primary);
      }
    },
    committed(scope) {
      const writer = writerOf(scope.principal);
      if (writer !== undefined) positions.wrote(writer, performance.now());
    },
    replica() {
      const state = monitor.state();
      return state.kind === 'down' ? { state: 'down' } : { state: state.kind, lagMs: Math.round(state.lagMs) };
    },
    async close() {
      await monitor.close();
      await replica.end({ timeout: 5 });
    },
  };
}

/**
 * Whose writes a search must see (docs/replicas.md): a client's, whoever it acts for (its
 * tokens, keys and HIE sessions), or an account's on Fhirkeep's own pages.
 */
export function writerOf(principal: Principal): string | undefined {
  switch (principal.kind) {
    case 'token':
    case 'key':
    case 'hie':
      return `client:${principal.clientId}`;
    case 'account':
      return `account:${principal.accountId}`;
    case 'dev-anonymous':
    case 'system':
      return principal.kind;
    case 'anonymous':
      return undefined;
  }
}
