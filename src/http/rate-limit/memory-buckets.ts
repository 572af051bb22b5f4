import { msUntilToken, refilled, retryAfterSeconds, type BucketLimit, type BucketStore } from './token-bucket.js';

interface Bucket {
  tokens: number;
  /** When `tokens` was true. */
  at: number;
  /** When the bucket is full again: from then on it is the same as no bucket. */
  fullAt: number;
}

export interface MemoryBucketOptions {
  readonly now?: () => number;
  /** Keys kept at most; past it the oldest is dropped (it starts full again). */
  readonly maxKeys?: number;
  /** How often full buckets are dropped. */
  readonly sweepMs?: number;
}

/** Enough for every address of a busy deployment; a bucket costs ~100 bytes. */
const MAX_KEYS = 200_000;

/**
 * Buckets in this node's memory (FHIRKEEP_RATE_LIMIT_STORE=memory): no I/O, so a check costs a
 * Map lookup and some arithmetic. Each node counts on its own: behind a load balancer spreading a
 * client over N nodes, up to N times the limit passes.
 */
/** Answers every check at once: never a promise. */
export interface MemoryBuckets extends BucketStore {
  take(key: string, limit: BucketLimit): number;
}

export function memoryBuckets(options: MemoryBucketOptions = {}): MemoryBuckets {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? MAX_KEYS;
  const buckets = new Map<string, Bucket>();
  // A full bucket is the same as none: dropping them loses nothing and bounds the map by the busy keys.
  const sweeper = setInterval(() => {
    const t = now();
    for (const [key, bucket] of buckets) if (bucket.fullAt <= t) buckets.delete(key);
  }, options.sweepMs ?? 60_000);
  sweeper.unref();

  return {
    take(key, limit) {
      const t = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
        bucket = { tokens: limit.capacity, at: t, fullAt: t };
        buckets.set(key, bucket);
      } else {
        bucket.tokens = refilled(bucket.tokens, t - bucket.at, limit);
        bucket.at = t;
      }
      if (bucket.tokens < 1) return retryAfterSeconds(msUntilToken(bucket.tokens, limit));
      bucket.tokens -= 1;
      bucket.fullAt = t + fullInMs(bucket.tokens, limit);
      return 0;
    },
    async close() {
      clearInterval(sweeper);
    },
  };
}

function fullInMs(tokens: number, limit: BucketLimit): number {
  return (limit.capacity - tokens) / limit.perMs;
}
