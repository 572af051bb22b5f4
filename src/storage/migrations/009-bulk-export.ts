import type { Migration } from './migration.js';

/**
 * Bulk Data export jobs (docs/bulk-export.md). Any node claims a job with `FOR UPDATE SKIP
 * LOCKED` and holds it by a lease it renews at every checkpoint; a node that dies stops
 * renewing, and another (or the same, restarted) resumes the job from its last checkpoint.
 */
export const bulkExport: Migration = {
  version: 9,
  name: 'bulk export jobs',
  sql: `
create table export_jobs (
  id               uuid primary key,
  -- The client that kicked the export off: its concurrency limit, and who may poll and download.
  client_id        text,
  -- Who asked (src/access/principal.ts): recompiled into the AccessScope when the job runs, so a
  -- consent or authorization withdrawn before then holds.
  principal        jsonb not null,
  -- The kick-off as parsed (src/bulk/export-request.ts) and its URL, echoed in the manifest.
  request          jsonb not null,
  request_url      text not null,
  -- The snapshot every resource is read at, and the manifest's transactionTime.
  transaction_time timestamptz not null,
  status           text not null check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
  -- The last checkpoint: files written so far (with their committed line and byte counts), the
  -- type being exported and the last id written of it.
  progress         jsonb not null,
  -- A failed job's OperationOutcome.
  failure          jsonb,
  lease_owner      text,
  lease_until      timestamptz,
  attempts         int not null default 0,
  -- When the status URL was last asked while the job ran (polling faster than Retry-After is a 429).
  polled_at        timestamptz,
  created_at       timestamptz not null default now(),
  finished_at      timestamptz,
  -- Past it the files are deleted and the status URL answers 404.
  expires_at       timestamptz
);
create index export_jobs_claimable on export_jobs (created_at) where status in ('queued', 'running');
create index export_jobs_client_active on export_jobs (client_id) where status in ('queued', 'running');
create index export_jobs_expiry on export_jobs (expires_at) where expires_at is not null;
`,
};
