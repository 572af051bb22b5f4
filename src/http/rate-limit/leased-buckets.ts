import type { Logger } from 'pino';
import { BoundedCache } from '../../bounded-cache.js';
import type { SharedBuckets } from '../../storage/rate-limit/shared-buckets.js';
import { msUntilToken, retryAfterSeconds, type BucketLimit, type BucketStore } from './token-bucket.js';

/** A lease is this much of the limit's rate: big enough to spare the database, small enough to share fairly. */
export const LEASE_MS = 250;

/** This node's part of one shared bucket. */
interface Local {
  /** Leased tokens not spent yet. */
  tokens: number;
  /** The bucket was empty: refused without asking until then (Date.now() ms). */
  emptyUntil: number;
  /** The lease being fetched, if any. */
  fetching: Promise<void> | undefined;
}

export interface LeasedBucketOptions {
  readonly shared: SharedBuckets;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Keys this node keeps leases for; past it the oldest is dropped (its unspent tokens are lost). */
  readonly maxKeys?: number;
  readonly purgeMs?: number;
}

/** Tokens one lease asks for: LEASE_MS of the rate, at least 1, at most the bucket. */
export function leaseSize(limit: BucketLimit): number {
  return Math.max(1, Math.min(Math.floor(limit.capacity), Math.floor(limit.perMs * LEASE_MS)));
}

/**
 * Buckets shared by every node through PostgreSQL (FHIRKEEP_RATE_LIMIT_STORE=postgres), without
 * a round trip per request: a node takes a lease of tokens from the shared bucket and spends it
 * locally, fetching the next lease in the background when half is spent. A request waits for
 * the database only when its node holds no token (a key's first request, or one outrunning
 * the prefetch). The shared bucket never hands out more than it holds, so the nodes together
 * admit at most what one bucket would, plus the tokens they held unspent at the window's start
 * (at most 1.5 leases per node); a token a node holds is spent only by requests reaching that
 * node, so a client may be refused a little early. After a refusal, the node refuses that key
 * without asking until the bucket will hold a token again. If the database cannot be asked, the
 * node admits a lease's worth and logs why: a limiter must not take the API down with it.
 */
export function leasedBuckets(options: LeasedBucketOptions): BucketStore {
  const { shared, logger } = options;
  const now = options.now ?? Date.now;
  const locals = new BoundedCache<string, Local>(options.maxKeys ?? 100_000);
  /** The longest a bucket takes to fill (capacity / rate): an idle row older than that is full. */
  let fillSeconds = 60;
  const inFlight = new Set<Promise<void>>();
  const purger = setInterval(() => {
    shared.purgeIdle(fillSeconds).catch((err: unknown) => logger.warn({ err }, 'could not purge idle rate-limit buckets'));
  }, options.purgeMs ?? 60_000);
  purger.unref();

  const fetchLease = (key: string, local: Local, limit: BucketLimit): Promise<void> => {
    const want = leaseSize(limit);
    const fetching = shared
      .lease(key, { capacity: limit.capacity, perSecond: limit.perMs * 1000 }, want)
      .then(
        ({ granted, tokensLeft }) => {
          local.tokens += granted;
          if (granted === 0) local.emptyUntil = now() + msUntilToken(tokensLeft, limit);
        },
        (err: unknown) => {
          logger.warn({ err }, 'could not lease rate-limit tokens: admitting a lease without counting it');
          local.tokens += want;
        },
      )
      .finally(() => {
        local.fetching = undefined;
        inFlight.delete(fetching);
      });
    local.fetching = fetching;
    inFlight.add(fetching);
    return fetching;
  };

  const waitForToken = async (key: string, local: Local, limit: BucketLimit): Promise<number> => {
    // Each round either hands this request a token, or sets emptyUntil, or another waiter took the lease: ask again.
    for (;;) {
      const t = now();
      if (local.emptyUntil > t) return retryAfterSeconds(local.emptyUntil - t);
      await (local.fetching ?? fetchLease(key, local, limit));
      if (local.tokens >= 1) {
        local.tokens -= 1;
        return 0;
      }
    }
  };

  return {
    take(key, limit) {
      fillSeconds = Math.max(fillSeconds, Math.ceil(limit.capacity / limit.perMs / 1000));
      const local = locals.getOrSet(key, () => ({ tokens: 0, emptyUntil: 0, fetching: undefined }));
      if (local.tokens < 1) return waitForToken(key, local, limit);
      local.tokens -= 1;
      const size = leaseSize(limit);
      // Prefetch at half a lease, so a steady client never waits; a one-token lease is fetched when needed.
      if (size > 1 && local.tokens < size / 2 && local.fetching === undefined && local.emptyUntil <= now()) void fetchLease(key, local, limit);
      return 0;
    },
    async close() {
      clearInterval(purger);
      // Before the pool closes: a lease answered after it would only log a failure.
      await Promise.all(inFlight);
    },
  };
}
