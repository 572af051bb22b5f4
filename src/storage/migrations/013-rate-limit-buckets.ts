import type { Migration } from './migration.js';

/**
 * The shared rate-limit buckets (FHIRKEEP_RATE_LIMIT_STORE=postgres, docs/limits.md): one row per
 * key, read and changed only by one atomic upsert that refills the bucket and hands a node a
 * batch of its tokens. UNLOGGED: the counts are worth no WAL, and after a crash every bucket
 * starting full is the right answer.
 */
export const rateLimitBuckets: Migration = {
  version: 13,
  name: 'rate limit buckets',
  sql: `
create unlogged table rate_limit_buckets (
  key         text primary key,
  -- Tokens left after the last lease, as of refilled_at (fractions refill between leases).
  tokens      double precision not null,
  -- Tokens the last lease handed out (read back by the node that asked).
  granted     integer not null,
  refilled_at timestamptz not null
);
create index rate_limit_buckets_refilled on rate_limit_buckets (refilled_at);
`,
};
