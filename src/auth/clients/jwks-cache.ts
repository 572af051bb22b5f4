import type { JWK } from 'jose';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/** The public keys a client publishes at its registered `jwks_uri`, fetched and cached per its HTTP caching. */
export interface JwksCache {
  /**
   * The keys at `uri`. When `kid` is given and not among the cached keys, fetches once more (the
   * client may have rotated), unless the set was fetched within the last `minRefetchMs`.
   * Throws `invalid-client` when the set cannot be fetched or is not a JWK Set.
   */
  keys(uri: string, kid: string | undefined): Promise<readonly JWK[]>;
}

export interface JwksCacheOptions {
  readonly fetch?: typeof fetch;
  /** Give up on a slow JWKS host after this long (default 5 s): a token request is waiting. */
  readonly timeoutMs?: number;
  /** Largest set accepted (default 64 kB): a key set is a few kB; more is a mistake or an attack. */
  readonly maxBytes?: number;
  /** Longest a set is kept, whatever its Cache-Control says (default 5 min), so rotations are seen. */
  readonly maxAgeMs?: number;
  /** Shortest interval between fetches of one URL on an unknown kid (default 5 s), so forged kids cannot make us hammer the host. */
  readonly minRefetchMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly keys: readonly JWK[];
  readonly fetchedAt: number;
  /** Until when the set may be used without fetching again (≤ fetchedAt when it must not be cached). */
  readonly freshUntil: number;
}

export function createJwksCache(options: JwksCacheOptions = {}): JwksCache {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const minRefetchMs = options.minRefetchMs ?? 5_000;
  const now = options.now ?? Date.now;
  // Bounded by the number of registered jwks_uris: only a client's registered URL is ever fetched.
  const entries = new Map<string, Entry>();
  // Concurrent token requests of one client share one fetch.
  const inFlight = new Map<string, Promise<Entry>>();

  const load = (uri: string): Promise<Entry> => {
    let pending = inFlight.get(uri);
    if (pending === undefined) {
      pending = download(uri).finally(() => inFlight.delete(uri));
      inFlight.set(uri, pending);
    }
    return pending;
  };

  async function download(uri: string): Promise<Entry> {
    let response: Response;
    try {
      // No redirects: the registered URL itself must serve the set (a redirect could lead anywhere).
      response = await fetchImpl(uri, { headers: { accept: 'application/json, application/jwk-set+json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw unusable(uri, `could not be fetched (${(e as Error).message})`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unusable(uri, `answered HTTP ${response.status}`);
    }
    const text = await readCapped(response, maxBytes).catch((e: Error) => {
      throw unusable(uri, e.message);
    });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw unusable(uri, 'is not JSON');
    }
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw unusable(uri, 'is not a JWK Set (no "keys" array)'); // RFC 7517 §5
    const fetchedAt = now();
    const lifetime = Math.min(cacheLifetimeMs(response.headers.get('cache-control')) ?? maxAgeMs, maxAgeMs);
    const entry: Entry = { keys: keys.filter((k): k is JWK => typeof k === 'object' && k !== null), fetchedAt, freshUntil: fetchedAt + lifetime };
    if (lifetime > 0) entries.set(uri, entry);
    else entries.delete(uri);
    return entry;
  }

  return {
    async keys(uri, kid) {
      const cached = entries.get(uri);
      let entry = cached !== undefined && cached.freshUntil > now() ? cached : await load(uri);
      const known = kid === undefined || entry.keys.some((k) => k.kid === kid);
      // The client may have rotated its keys since we fetched: look once more, but not too often.
      if (!known && entry === cached && now() - entry.fetchedAt >= minRefetchMs) entry = await load(uri);
      return entry.keys;
    },
  };
}

/**
 * How long a response may be reused per its Cache-Control (RFC 9111 §5.2.2): 0 for no-store or
 * no-cache (we do not revalidate), max-age seconds otherwise, undefined when it says neither.
 */
export function cacheLifetimeMs(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  let maxAge: number | undefined;
  for (const directive of cacheControl.toLowerCase().split(',')) {
    const [name = '', value] = directive.trim().split('=', 2);
    if (name === 'no-store' || name === 'no-cache') return 0;
    if (name === 'max-age' && value !== undefined) {
      const seconds = Number(value.replace(/^"|"$/g, ''));
      if (Number.isInteger(seconds) && seconds >= 0) maxAge = seconds * 1000;
    }
  }
  return maxAge;
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`is larger than ${maxBytes} bytes`);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // A reader rather than `for await`: the DOM typings some test dependencies bring lack the async iterator.
  const reader = response.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    // Content-Length can be absent or wrong: count what actually arrives.
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`is larger than ${maxBytes} bytes`);
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function unusable(uri: string, why: string): FhirkeepError {
  return new FhirkeepError('invalid-client', `The client's JWK Set at ${uri} ${why}`);
}
