/**
 * A token bucket: it holds up to `capacity` tokens and refills continuously at `perMs`; each
 * request takes one, and a request finding none is refused until one has refilled. Chosen over a
 * sliding window because its whole state is two numbers per key, it lets a quiet client burst,
 * and its tokens are interchangeable, so a node can take a batch of them from a shared bucket
 * (leased-buckets.ts) where a window's timestamps could not be handed out.
 */
export interface BucketLimit {
  readonly capacity: number;
  /** Tokens added per millisecond. */
  readonly perMs: number;
}

/** A limit of `requests` a minute: a full minute's allowance may be spent at once, then it refills evenly. */
export function perMinute(requests: number): BucketLimit {
  return { capacity: requests, perMs: requests / 60_000 };
}

/** The tokens a bucket holds `elapsedMs` after it held `tokens`. */
export function refilled(tokens: number, elapsedMs: number, limit: BucketLimit): number {
  return Math.min(limit.capacity, tokens + Math.max(0, elapsedMs) * limit.perMs);
}

/** Milliseconds until a bucket holding `tokens` holds one whole token. */
export function msUntilToken(tokens: number, limit: BucketLimit): number {
  return Math.max(0, (1 - tokens) / limit.perMs);
}

/** RFC 9110 §10.2.3: Retry-After in whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Where buckets live. `take` answers 0 when a token was taken (the request may pass), otherwise
 * the whole seconds until one will be there; synchronously whenever it can, so the read path
 * pays no promise for it.
 */
export interface BucketStore {
  take(key: string, limit: BucketLimit): number | Promise<number>;
  close(): Promise<void>;
}
