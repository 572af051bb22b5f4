import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { cacheLifetimeMs, createJwksCache } from './jwks-cache.js';

const URI = 'https://client.example/jwks';

/** A fake JWK Set host: counts requests and answers with whatever `respond` makes. */
function host(respond: () => Response | Promise<Response>) {
  const calls = { count: 0 };
  const fetchImpl = (async () => {
    calls.count++;
    return respond();
  }) as typeof fetch;
  return { calls, fetchImpl };
}
const set = (kids: string[], headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ keys: kids.map((kid) => ({ kty: 'EC', crv: 'P-384', kid, x: 'x', y: 'y' })) }), { headers });
const kidsOf = (keys: readonly { kid?: string }[]) => keys.map((k) => k.kid);

test('Cache-Control: max-age in seconds, no-store and no-cache mean 0, nothing said means undefined', () => {
  assert.equal(cacheLifetimeMs('public, max-age=600'), 600_000);
  assert.equal(cacheLifetimeMs('max-age="30"'), 30_000);
  assert.equal(cacheLifetimeMs('max-age=60, no-store'), 0);
  assert.equal(cacheLifetimeMs('No-Cache'), 0);
  assert.equal(cacheLifetimeMs('max-age=-1'), undefined);
  assert.equal(cacheLifetimeMs('private'), undefined);
  assert.equal(cacheLifetimeMs(null), undefined);
});

test('a set is reused for its max-age, capped at maxAgeMs; no header means the cap', async () => {
  let now = 0;
  let headers: Record<string, string> = { 'cache-control': 'max-age=30' };
  const { calls, fetchImpl } = host(() => set(['a'], headers));
  const cache = createJwksCache({ fetch: fetchImpl, now: () => now, maxAgeMs: 60_000 });
  await cache.keys(URI, 'a');
  now = 29_000;
  await cache.keys(URI, 'a');
  assert.equal(calls.count, 1);
  now = 30_001;
  headers = { 'cache-control': 'max-age=86400' };
  await cache.keys(URI, 'a');
  assert.equal(calls.count, 2, 'max-age passed');
  now += 59_000;
  await cache.keys(URI, undefined);
  assert.equal(calls.count, 2);
  now += 2_000;
  headers = {};
  await cache.keys(URI, undefined);
  assert.equal(calls.count, 3, 'a day of max-age is capped at maxAgeMs');
  now += 59_000;
  await cache.keys(URI, undefined);
  assert.equal(calls.count, 3, 'without Cache-Control the cap applies');
});

test('an unknown kid refetches once, at most every minRefetchMs', async () => {
  let now = 0;
  let kids = ['a'];
  const { calls, fetchImpl } = host(() => set(kids, { 'cache-control': 'max-age=300' }));
  const cache = createJwksCache({ fetch: fetchImpl, now: () => now, minRefetchMs: 5_000 });
  assert.deepEqual(kidsOf(await cache.keys(URI, 'a')), ['a']);
  kids = ['a', 'b'];
  assert.deepEqual(kidsOf(await cache.keys(URI, 'b')), ['a'], 'fetched just now: no refetch yet');
  now = 5_000;
  assert.deepEqual(kidsOf(await cache.keys(URI, 'b')), ['a', 'b']);
  assert.equal(calls.count, 2);
  for (let i = 0; i < 5; i++) await cache.keys(URI, `forged-${i}`);
  assert.equal(calls.count, 2, 'forged kids do not make us hammer the host');
  now = 10_000;
  await cache.keys(URI, 'forged');
  assert.equal(calls.count, 3);
});

test('concurrent requests share one fetch', async () => {
  const { calls, fetchImpl } = host(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return set(['a']);
  });
  const cache = createJwksCache({ fetch: fetchImpl });
  await Promise.all([cache.keys(URI, 'a'), cache.keys(URI, 'a'), cache.keys(URI, 'a')]);
  assert.equal(calls.count, 1);
});

test('failures are invalid_client: HTTP errors, not JSON, not a set, too large, too slow', async () => {
  const fails = async (respond: () => Response | Promise<Response>, message: RegExp, options = {}) => {
    const cache = createJwksCache({ fetch: host(respond).fetchImpl, ...options });
    await assert.rejects(cache.keys(URI, 'a'), (e: unknown) => e instanceof FhirkeepError && e.code === 'invalid-client' && message.test(e.message));
  };
  await fails(() => new Response('no', { status: 500 }), /answered HTTP 500/);
  await fails(() => new Response('<html>'), /is not JSON/);
  await fails(() => new Response('{"keys": {}}'), /not a JWK Set/);
  await fails(() => new Response('x'.repeat(2000)), /larger than 1000 bytes/, { maxBytes: 1000 });
  await fails(() => new Response('x'.repeat(2000), { headers: { 'content-length': '2000' } }), /larger than 1000 bytes/, { maxBytes: 1000 });
  // A host that never answers: the real fetch's abort signal ends the wait.
  const slow = createJwksCache({
    timeoutMs: 50,
    fetch: ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)))) as unknown as typeof fetch,
  });
  // AbortSignal.timeout's timer does not hold the process open (a server would): this one does.
  const keepAlive = setTimeout(() => {}, 5_000);
  await assert.rejects(slow.keys(URI, 'a'), /could not be fetched/);
  clearTimeout(keepAlive);
});
