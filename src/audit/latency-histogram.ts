/**
 * Request latency as a fixed histogram: counts per bucket add up across nodes and days with
 * plain addition (a database upsert), which percentiles kept as numbers would not.
 * The upper bounds, in milliseconds, roughly ×1.5 apart: a percentile read off them is within
 * half a bucket of the truth. Append only: stored rows name their bucket by its upper bound.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 30000, 60000,
];

/** How the bucket above the last bound (slower than a minute) is stored: PostgreSQL's largest integer. */
export const OVERFLOW_BOUND = 2147483647;

/** Buckets in a histogram: one per bound, and one for anything slower. */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

export function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKETS).fill(0);
}

/** The bucket a latency falls in: the first whose upper bound it does not exceed. */
export function bucketOf(ms: number): number {
  // Binary search: this runs once per request.
  let low = 0;
  let high = LATENCY_BOUNDS_MS.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ms <= (LATENCY_BOUNDS_MS[mid] ?? Infinity)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The stored name of a bucket (its upper bound) and back. */
export function boundOfBucket(bucket: number): number {
  return LATENCY_BOUNDS_MS[bucket] ?? OVERFLOW_BOUND;
}

export function bucketOfBound(bound: number): number {
  // A bound this version does not know (never, while the list is append only) counts where its latency would.
  return bound >= OVERFLOW_BOUND ? LATENCY_BOUNDS_MS.length : bucketOf(bound);
}

export function addHistograms(into: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

/**
 * The latency below which a fraction `q` (0.5, 0.95, 0.99) of the requests fell, interpolated
 * linearly inside its bucket; undefined without requests. In the overflow bucket it is the last
 * bound: all the histogram knows is "slower than that".
 */
export function percentile(histogram: readonly number[], q: number): number | undefined {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] ?? 0);
      const upper = LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      return round(lower + ((upper - lower) * (rank - below)) / count);
    }
    below += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
