import type { Sql } from 'postgres';
import { boundOfBucket, bucketOfBound, emptyHistogram } from '../../audit/latency-histogram.js';
import type { RecentError, StatisticsBatch, StatisticsSink } from '../../audit/request-statistics.js';

/** A client's stored counts for one day: the sums over every node and flush. */
export interface StoredDay {
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly requests: number;
  readonly errors: number;
  readonly statuses: ReadonlyMap<number, number>;
  readonly latency: readonly number[];
}

export interface StatisticsStore extends StatisticsSink {
  /** The days from `from` to `to` (inclusive, YYYY-MM-DD) that had requests, oldest first. */
  days(clientId: string, from: string, to: string): Promise<StoredDay[]>;
  /** The latest errors, newest first. */
  recentErrors(clientId: string, limit: number): Promise<RecentError[]>;
}

export function createStatisticsStore(sql: Sql): StatisticsStore {
  return {
    async add(batch: StatisticsBatch, keepErrors: number) {
      // Rows in one order on every node: two flushes touching the same rows wait, never deadlock.
      const days = [...batch.days].sort((a, b) => (a.clientId === b.clientId ? compare(a.day, b.day) : compare(a.clientId, b.clientId)));
      const statuses = days.flatMap((d) => [...d.statuses].sort(([a], [b]) => a - b).map(([status, n]) => ({ clientId: d.clientId, day: d.day, status, n })));
      const latency = days.flatMap((d) => d.latency.flatMap((n, bucket) => (n === 0 ? [] : [{ clientId: d.clientId, day: d.day, le: boundOfBucket(bucket), n }])));
      const errorClients = [...new Set(batch.errors.map((e) => e.clientId))].sort(compare);
      await sql.begin(async (tx) => {
        if (days.length > 0) {
          await tx`
            insert into client_request_days (client_id, day, requests, errors)
            select * from unnest(${days.map((d) => d.clientId)}::text[], ${days.map((d) => d.day)}::date[],
                                 ${days.map((d) => d.requests)}::bigint[], ${days.map((d) => d.errors)}::bigint[])
            on conflict (client_id, day) do update
              set requests = client_request_days.requests + excluded.requests, errors = client_request_days.errors + excluded.errors`;
        }
        if (statuses.length > 0) {
          await tx`
            insert into client_request_statuses (client_id, day, status, n)
            select * from unnest(${statuses.map((s) => s.clientId)}::text[], ${statuses.map((s) => s.day)}::date[],
                                 ${statuses.map((s) => s.status)}::smallint[], ${statuses.map((s) => s.n)}::bigint[])
            on conflict (client_id, day, status) do update set n = client_request_statuses.n + excluded.n`;
        }
        if (latency.length > 0) {
          await tx`
            insert into client_request_latency (client_id, day, le_ms, n)
            select * from unnest(${latency.map((l) => l.clientId)}::text[], ${latency.map((l) => l.day)}::date[],
                                 ${latency.map((l) => l.le)}::integer[], ${latency.map((l) => l.n)}::bigint[])
            on conflict (client_id, day, le_ms) do update set n = client_request_latency.n + excluded.n`;
        }
        if (batch.errors.length > 0) {
          await tx`
            insert into client_recent_errors (client_id, at, method, path, status, diagnostics)
            select * from unnest(${batch.errors.map((e) => e.clientId)}::text[], ${batch.errors.map((e) => e.at.toISOString())}::timestamptz[],
                                 ${batch.errors.map((e) => e.method)}::text[], ${batch.errors.map((e) => e.path)}::text[],
                                 ${batch.errors.map((e) => e.status)}::smallint[], ${batch.errors.map((e) => e.diagnostics ?? null)}::text[])`;
          await tx`
            delete from client_recent_errors where id in (
              select id from (
                select id, row_number() over (partition by client_id order by at desc, id desc) as rank
                from client_recent_errors where client_id = any(${errorClients}::text[])
              ) ranked where rank > ${keepErrors})`;
        }
      });
    },

    async days(clientId, from, to) {
      const rows = await sql<{ day: string; requests: string; errors: string }[]>`
        select day::text as day, requests, errors from client_request_days
        where client_id = ${clientId} and day between ${from}::date and ${to}::date order by day`;
      if (rows.length === 0) return [];
      const statusRows = await sql<{ day: string; status: number; n: string }[]>`
        select day::text as day, status, n from client_request_statuses
        where client_id = ${clientId} and day between ${from}::date and ${to}::date`;
      const latencyRows = await sql<{ day: string; le_ms: number; n: string }[]>`
        select day::text as day, le_ms, n from client_request_latency
        where client_id = ${clientId} and day between ${from}::date and ${to}::date`;
      const statuses = new Map<string, Map<number, number>>();
      for (const r of statusRows) {
        const m = statuses.get(r.day) ?? new Map<number, number>();
        m.set(r.status, Number(r.n));
        statuses.set(r.day, m);
      }
      const latency = new Map<string, number[]>();
      for (const r of latencyRows) {
        const h = latency.get(r.day) ?? emptyHistogram();
        const bucket = bucketOfBound(r.le_ms);
        h[bucket] = (h[bucket] ?? 0) + Number(r.n);
        latency.set(r.day, h);
      }
      return rows.map((r) => ({
        day: r.day,
        requests: Number(r.requests),
        errors: Number(r.errors),
        statuses: statuses.get(r.day) ?? new Map(),
        latency: latency.get(r.day) ?? emptyHistogram(),
      }));
    },

    async recentErrors(clientId, limit) {
      const rows = await sql<{ at: Date; method: string; path: string; status: number; diagnostics: string | null }[]>`
        select at, method, path, status, diagnostics from client_recent_errors
        where client_id = ${clientId} order by at desc, id desc limit ${limit}`;
      return rows.map((r) => ({ clientId, at: r.at, method: r.method, path: r.path, status: r.status, diagnostics: r.diagnostics ?? undefined }));
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
