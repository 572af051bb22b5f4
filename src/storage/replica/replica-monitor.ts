import type { Sql } from 'postgres';
import type { Logger } from 'pino';
import { walPosition } from './wal-position.js';
import type { PrimarySample, WriterPositions } from './writer-positions.js';

/** The replica as the last polls saw it: how far it has replayed and how far behind it is. */
export type ReplicaState =
  | { readonly kind: 'streaming'; readonly replayed: bigint; readonly lagMs: number }
  | { readonly kind: 'lagging'; readonly replayed: bigint; readonly lagMs: number }
  | { readonly kind: 'down'; readonly reason: string };

export interface ReplicaMonitor {
  state(): ReplicaState;
  close(): Promise<void>;
}

export interface ReplicaMonitorOptions {
  /** One connection to the primary, one to the replica, for the polls alone (never queued behind searches); the monitor closes them. */
  readonly primary: Sql;
  readonly replica: Sql;
  readonly positions: WriterPositions;
  readonly maxLagMs: number;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** Samples kept while the replica is behind: beyond this many, the oldest alone says it lags. */
const MAX_SAMPLES = 10_000;

/**
 * Polls, every `intervalMs`, the primary's WAL position (`pg_current_wal_lsn()`) and the
 * replica's replay position (`pg_last_wal_replay_lsn()`): one timer per node, not a query per
 * request. The lag is measured on this node's clock, so clocks elsewhere do not matter: how long
 * ago the primary was at a position the replica has not replayed yet (0 when it has replayed all
 * the primary had), or, if longer, how long ago the replica last answered, so a replica that
 * hangs counts as lagging. A replica that does not answer, or is no standby (promoted, or a
 * plain copy), is down.
 */
export function startReplicaMonitor(options: ReplicaMonitorOptions): ReplicaMonitor {
  const { primary, replica, positions, maxLagMs, logger } = options;
  const samples: PrimarySample[] = [];
  let replayed: bigint | undefined;
  let answeredAt = 0;
  let down: string | undefined = 'not polled yet';
  // Down until the first poll has answered: nothing to report until then.
  let reported: ReplicaState['kind'] | undefined = 'down';

  const state = (): ReplicaState => {
    if (down !== undefined || replayed === undefined) return { kind: 'down', reason: down ?? 'not polled yet' };
    const now = performance.now();
    const behindSince = samples.find((s) => s.position > (replayed as bigint))?.startedAt;
    const lagMs = Math.max(now - answeredAt, behindSince === undefined ? 0 : now - behindSince);
    return lagMs > maxLagMs ? { kind: 'lagging', replayed, lagMs } : { kind: 'streaming', replayed, lagMs };
  };

  const poll = async () => {
    const startedAt = performance.now();
    const [p, r] = await Promise.allSettled([
      primary<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`,
      replica<{ standby: boolean; lsn: string | null }[]>`select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as lsn`,
    ]);
    if (p.status === 'fulfilled' && p.value[0] !== undefined) {
      const sample = { startedAt, position: walPosition(p.value[0].lsn) };
      if (samples.length < MAX_SAMPLES) samples.push(sample);
      positions.sampled(sample);
    }
    if (r.status === 'rejected') {
      down = `does not answer: ${(r.reason as Error).message}`;
      return;
    }
    const row = r.value[0];
    if (row?.standby !== true || row.lsn === null) {
      down = 'is not a standby in recovery (promoted, or not a replica)';
      return;
    }
    down = undefined;
    answeredAt = performance.now();
    replayed = walPosition(row.lsn);
    while (samples[0] !== undefined && samples[0].position <= replayed) samples.shift();
    positions.replayed(replayed);
  };

  const report = () => {
    const now = state();
    if (now.kind === reported) return;
    if (now.kind === 'streaming') logger.info('the read replica answers searches');
    else if (now.kind === 'lagging') logger.warn({ lagMs: Math.round(now.lagMs), maxLagMs }, 'the read replica lags: searches go to the primary');
    else logger.warn({ reason: now.reason }, 'the read replica is down: searches go to the primary');
    reported = now.kind;
  };

  let polling: Promise<void> | undefined;
  const tick = () => {
    // A poll still waiting (a replica that hangs) is not joined by another; its silence counts as lag.
    polling ??= poll()
      .catch((e: unknown) => logger.warn({ err: e }, 'polling the read replica failed'))
      .finally(() => {
        polling = undefined;
        report();
      });
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    state,
    async close() {
      clearInterval(timer);
      // Ending the connections ends a poll that still waits, too.
      await Promise.all([primary.end({ timeout: 1 }), replica.end({ timeout: 1 })]);
      await polling;
    },
  };
}
