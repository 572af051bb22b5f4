import type { Logger } from 'pino';
import type { Principal } from '../access/principal.js';
import { addHistograms, bucketOf, emptyHistogram } from './latency-histogram.js';

/** One answered request of a client, as the HTTP layer saw it. */
export interface RequestRecord {
  readonly clientId: string;
  readonly method: string;
  /** Path and query parameter names (see statisticsPath): never a query value, a token or a body. */
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  /** An error's OperationOutcome diagnostics, if it had any. */
  readonly diagnostics?: string | undefined;
}

/** A client's counts for one UTC day, as this node saw them since its last flush. */
export interface DayCounts {
  readonly clientId: string;
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  requests: number;
  /** Answers with status 400 or above. */
  errors: number;
  /** Error answers by status code. */
  readonly statuses: Map<number, number>;
  /** Counts per bucket of LATENCY_BOUNDS_MS. */
  readonly latency: number[];
}

export interface RecentError {
  readonly clientId: string;
  readonly at: Date;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly diagnostics: string | undefined;
}

/** What one flush hands to storage. */
export interface StatisticsBatch {
  readonly days: readonly DayCounts[];
  readonly errors: readonly RecentError[];
}

/** Where batches go: the database adds them to what other nodes (and earlier flushes) wrote. */
export interface StatisticsSink {
  /** Adds the counts in one transaction and keeps only the latest `keepErrors` errors per client. */
  add(batch: StatisticsBatch, keepErrors: number): Promise<void>;
}

export interface AggregatorLimits {
  /** Client-days held between flushes; beyond, new ones are dropped (and counted) until a flush empties them. */
  readonly maxDays: number;
  /** Latest errors kept per client. */
  readonly keepErrors: number;
}

/** Longest path and diagnostics kept with an error: enough to recognise it, bounded memory and rows. */
const MAX_PATH = 300;
const MAX_DIAGNOSTICS = 500;

/**
 * This node's per-client counts since the last flush, in bounded memory: at most `maxDays`
 * client-days (each a fixed size) and `keepErrors` errors for each of them.
 */
export class StatisticsAggregator {
  private days = new Map<string, DayCounts>();
  private errors = new Map<string, RecentError[]>();
  /** Requests not counted because the limit was reached, since the last take(). */
  private droppedCount = 0;
  /** The UTC day of `dayEnd - 1`, so most requests get their day without formatting a date. */
  private dayText = '';
  private dayStart = 0;
  private dayEnd = 0;

  constructor(private readonly limits: AggregatorLimits) {}

  get size(): number {
    return this.days.size;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  record(r: RequestRecord, now: number): void {
    const day = this.dayOf(now);
    const counts = this.countsFor(r.clientId, day);
    if (counts === undefined) {
      this.droppedCount++;
      return;
    }
    counts.requests++;
    const bucket = bucketOf(r.ms);
    counts.latency[bucket] = (counts.latency[bucket] ?? 0) + 1;
    if (r.status >= 400) {
      counts.errors++;
      counts.statuses.set(r.status, (counts.statuses.get(r.status) ?? 0) + 1);
      this.keepError({
        clientId: r.clientId,
        at: new Date(now),
        method: r.method,
        path: r.path.slice(0, MAX_PATH),
        status: r.status,
        diagnostics: r.diagnostics?.slice(0, MAX_DIAGNOSTICS),
      });
    }
  }

  /** Everything counted so far, leaving the aggregator empty; undefined when there is nothing. */
  take(): StatisticsBatch | undefined {
    this.droppedCount = 0;
    if (this.days.size === 0 && this.errors.size === 0) return undefined;
    const batch: StatisticsBatch = { days: [...this.days.values()], errors: [...this.errors.values()].flat() };
    this.days = new Map();
    this.errors = new Map();
    return batch;
  }

  /** Puts back a batch that could not be stored, adding it to what was counted meanwhile. */
  restore(batch: StatisticsBatch): void {
    for (const d of batch.days) {
      const counts = this.countsFor(d.clientId, d.day);
      if (counts === undefined) {
        this.droppedCount += d.requests;
        continue;
      }
      counts.requests += d.requests;
      counts.errors += d.errors;
      for (const [status, n] of d.statuses) counts.statuses.set(status, (counts.statuses.get(status) ?? 0) + n);
      addHistograms(counts.latency, d.latency);
    }
    // Older than anything recorded since: they go in front, and the newest `keepErrors` stay.
    const byClient = new Map<string, RecentError[]>();
    for (const e of batch.errors) byClient.set(e.clientId, [...(byClient.get(e.clientId) ?? []), e]);
    for (const [clientId, older] of byClient) {
      const kept = [...older, ...(this.errors.get(clientId) ?? [])];
      this.errors.set(clientId, kept.slice(-this.limits.keepErrors));
    }
  }

  private countsFor(clientId: string, day: string): DayCounts | undefined {
    const key = `${clientId}\n${day}`;
    let counts = this.days.get(key);
    if (counts === undefined) {
      if (this.days.size >= this.limits.maxDays) return undefined;
      counts = { clientId, day, requests: 0, errors: 0, statuses: new Map(), latency: emptyHistogram() };
      this.days.set(key, counts);
    }
    return counts;
  }

  private keepError(e: RecentError): void {
    const list = this.errors.get(e.clientId);
    if (list === undefined) {
      this.errors.set(e.clientId, [e]);
      return;
    }
    list.push(e);
    if (list.length > this.limits.keepErrors) list.shift();
  }

  private dayOf(now: number): string {
    if (now < this.dayStart || now >= this.dayEnd) {
      this.dayStart = now - (now % 86_400_000);
      this.dayEnd = this.dayStart + 86_400_000;
      this.dayText = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.dayText;
  }
}

/** Per-client request statistics of this node (docs/portal/portal-stats.md). */
export interface RequestStatistics {
  /** Counts one answered request; never throws, never waits. */
  record(r: RequestRecord): void;
  /**
   * Stores what was counted so far; resolves when this flush (and any before it) is done.
   * Resolves false when the database refused: the counts are kept for the next try.
   */
  flush(): Promise<boolean>;
  /** Stops the timer and flushes one last time. */
  close(): Promise<void>;
  /** Flushes the database refused since this node started (a metric). */
  failedFlushes(): number;
}

export interface RecorderOptions {
  readonly sink: StatisticsSink;
  readonly logger: Logger;
  /** How often counts are written (the last written on close). */
  readonly flushMs: number;
  readonly limits: AggregatorLimits;
  readonly now?: () => number;
}

export const DEFAULT_STATISTICS_LIMITS: AggregatorLimits = { maxDays: 10_000, keepErrors: 20 };

/**
 * Aggregates requests in memory and adds them to the database every `flushMs`: the database
 * sees one upsert per client-day and flush, not one write per request, and every node's counts
 * add up. A failed flush keeps its counts for the next one; nothing here reaches a request.
 */
export function startRequestStatistics(o: RecorderOptions): RequestStatistics {
  const now = o.now ?? Date.now;
  const aggregator = new StatisticsAggregator(o.limits);
  let chain: Promise<boolean> = Promise.resolve(true);
  let failing = false;
  let failedFlushes = 0;

  const flushOnce = async (): Promise<boolean> => {
    const dropped = aggregator.dropped;
    const batch = aggregator.take();
    if (dropped > 0) o.logger.warn({ dropped, limit: o.limits.maxDays }, 'request statistics: too many client-days between flushes; some requests were not counted');
    if (batch === undefined) return true;
    try {
      await o.sink.add(batch, o.limits.keepErrors);
      if (failing) o.logger.info('request statistics are written again');
      failing = false;
      return true;
    } catch (err) {
      aggregator.restore(batch);
      failedFlushes++;
      // Once per outage at error level; the retries every few seconds would drown the log.
      if (failing) o.logger.debug({ err }, 'request statistics: flush failed again; retrying');
      else o.logger.error({ err, pending: aggregator.size }, 'request statistics: could not write; keeping the counts and retrying');
      failing = true;
      return false;
    }
  };
  const flush = (): Promise<boolean> => {
    chain = chain.then(flushOnce, flushOnce);
    return chain;
  };
  const timer = setInterval(() => void flush(), o.flushMs);
  timer.unref();

  return {
    record(r) {
      try {
        aggregator.record(r, now());
      } catch (err) {
        o.logger.error({ err }, 'request statistics: could not count a request');
      }
    },
    flush,
    failedFlushes: () => failedFlushes,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/** The client a request counts for: a token's, a key's or an HIE session's; none for anyone else. */
export function statisticsClient(principal: Principal): string | undefined {
  switch (principal.kind) {
    case 'token':
    case 'key':
    case 'hie':
      return principal.clientId;
    default:
      return undefined;
  }
}

/**
 * The path an error is remembered by: the URL path and the names of its query parameters, never
 * their values (a search by name or birth date would put patient data in the statistics).
 */
export function statisticsPath(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = [...new Set([...new URLSearchParams(url.slice(q + 1)).keys()])];
  return names.length === 0 ? url.slice(0, q) : `${url.slice(0, q)}?${names.map((n) => `${n}=…`).join('&')}`;
}
