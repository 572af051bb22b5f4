import type { ClientRegistry, ClientScope } from '../auth/clients/client-registry.js';
import type { RegisteredClient } from '../auth/clients/client.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { StatisticsStore } from '../storage/audit/statistics-store.js';
import { percentile } from './latency-histogram.js';

/** One day of a client's statistics, as the API answers it (and the portal shows it). */
export interface StatisticsDay {
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly requests: number;
  readonly errors: number;
  /** Error answers by status code ("404": 3). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Milliseconds; null on a day without requests. */
  readonly latency_ms: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
}

export interface StatisticsError {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly diagnostics?: string;
}

export interface ClientStatisticsView {
  readonly client_id: string;
  readonly client_name: string;
  /** Every day of the period, oldest first; days without requests count zero. */
  readonly days: readonly StatisticsDay[];
  readonly latest_errors: readonly StatisticsError[];
}

export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 366;
/** As many as the recorder keeps per client (DEFAULT_STATISTICS_LIMITS.keepErrors). */
const LATEST_ERRORS = 20;

export interface ClientStatisticsDeps {
  readonly clients: Pick<ClientRegistry, 'find'>;
  readonly store: Pick<StatisticsStore, 'days' | 'recentErrors'>;
  /** Writes this node's pending counts first, so a request just made is in the answer. */
  readonly flushLocal: () => Promise<boolean>;
  readonly now?: () => number;
}

export interface ClientStatistics {
  /**
   * The last `days` UTC days (today included) of a client within `scope`; one outside it (another
   * developer's) is answered as missing, like every /api/clients route.
   */
  read(clientId: string, scope: ClientScope, days: number): Promise<ClientStatisticsView>;
  /** The client, if the scope reaches it (the debugger and the pages ask first). */
  client(clientId: string, scope: ClientScope): Promise<RegisteredClient>;
}

export function createClientStatistics(deps: ClientStatisticsDeps): ClientStatistics {
  const now = deps.now ?? Date.now;
  const client = async (clientId: string, scope: ClientScope) => {
    const found = await deps.clients.find(clientId, scope);
    if (found === undefined) throw new FhirkeepError('not-found', `There is no client ${clientId}`);
    return found;
  };
  return {
    client,
    async read(clientId, scope, days) {
      if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new FhirkeepError('bad-request', `days: a whole number from 1 to ${MAX_DAYS}`);
      const found = await client(clientId, scope);
      await deps.flushLocal();
      const t = now();
      const today = t - (t % 86_400_000);
      const period = Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
      const [stored, errors] = await Promise.all([
        deps.store.days(found.id, period[0] ?? '', period[period.length - 1] ?? ''),
        deps.store.recentErrors(found.id, LATEST_ERRORS),
      ]);
      const byDay = new Map(stored.map((d) => [d.day, d]));
      return {
        client_id: found.id,
        client_name: found.name,
        days: period.map((day): StatisticsDay => {
          const d = byDay.get(day);
          if (d === undefined) return { day, requests: 0, errors: 0, statuses: {}, latency_ms: { p50: null, p95: null, p99: null } };
          return {
            day,
            requests: d.requests,
            errors: d.errors,
            statuses: Object.fromEntries([...d.statuses].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n])),
            latency_ms: { p50: percentile(d.latency, 0.5) ?? null, p95: percentile(d.latency, 0.95) ?? null, p99: percentile(d.latency, 0.99) ?? null },
          };
        }),
        latest_errors: errors.map((e) => ({
          at: e.at.toISOString(),
          method: e.method,
          path: e.path,
          status: e.status,
          ...(e.diagnostics === undefined ? {} : { diagnostics: e.diagnostics }),
        })),
      };
    },
  };
}
