import type { Sql } from 'postgres';

/** What one lease answered: the tokens handed over, and what the bucket holds after it. */
export interface Lease {
  readonly granted: number;
  readonly tokensLeft: number;
}

/** The shape of a bucket, as the database needs it (token-bucket.ts has the node's view). */
export interface SharedLimit {
  readonly capacity: number;
  readonly perSecond: number;
}

/**
 * Token buckets every node shares (docs/limits.md). Times come from the database clock, never a
 * node's, so nodes with drifting clocks still refill one bucket alike.
 */
export interface SharedBuckets {
  /**
   * Refills the key's bucket for the time since its last lease and takes up to `want` whole
   * tokens from it, atomically (a new key starts full). One statement: the row lock orders
   * concurrent leases of one key across nodes.
   */
  lease(key: string, limit: SharedLimit, want: number): Promise<Lease>;
  /** Deletes buckets untouched for `seconds` (by then full again, which is the same as absent). */
  purgeIdle(seconds: number): Promise<void>;
}

export function createSharedBuckets(sql: Sql): SharedBuckets {
  return {
    async lease(key, limit, want) {
      const firstGrant = Math.min(want, Math.floor(limit.capacity));
      const available = sql`least(${limit.capacity}::float8, b.tokens + ${limit.perSecond}::float8 * extract(epoch from now() - b.refilled_at)::float8)`;
      const granted = sql`least(${want}::float8, floor(${available}))`;
      const [row] = await sql<{ granted: number; tokens: number }[]>`
        insert into rate_limit_buckets as b (key, tokens, granted, refilled_at)
        values (${key}, ${limit.capacity - firstGrant}, ${firstGrant}, now())
        on conflict (key) do update set
          granted = ${granted},
          tokens = ${available} - ${granted},
          refilled_at = now()
        returning granted, tokens`;
      if (row === undefined) throw new Error('the rate-limit upsert returned no row');
      return { granted: row.granted, tokensLeft: row.tokens };
    },

    async purgeIdle(seconds) {
      await sql`delete from rate_limit_buckets where refilled_at < now() - make_interval(secs => ${seconds})`;
    },
  };
}
