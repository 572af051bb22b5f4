import type { Migration } from './migration.js';

/**
 * Per-application request statistics (docs/portal/portal-stats.md). Every node aggregates in
 * memory and adds its counts with `on conflict … do update set n = n + excluded.n`, so rows are
 * sums over all nodes. No foreign key to clients: an HIE organization's client lives elsewhere,
 * and a revoked client's history stays readable.
 */
export const requestStatistics: Migration = {
  version: 10,
  name: 'request statistics',
  sql: `
create table client_request_days (
  client_id text not null,
  -- The UTC day the requests were answered.
  day       date not null,
  requests  bigint not null,
  -- Answers with status 400 or above.
  errors    bigint not null,
  primary key (client_id, day)
);
create table client_request_statuses (
  client_id text not null,
  day       date not null,
  status    smallint not null check (status between 400 and 599),
  n         bigint not null,
  primary key (client_id, day, status)
);
-- A latency histogram per day (src/audit/latency-histogram.ts); a bucket is named by its upper
-- bound in milliseconds, the one above the last bound by 2147483647.
create table client_request_latency (
  client_id text not null,
  day       date not null,
  le_ms     integer not null,
  n         bigint not null,
  primary key (client_id, day, le_ms)
);
-- The latest errors of each client (a few dozen; older ones are deleted at each flush): the path
-- with its query parameter names only, the status and the OperationOutcome's diagnostics.
create table client_recent_errors (
  id          bigserial primary key,
  client_id   text not null,
  at          timestamptz not null,
  method      text not null,
  path        text not null,
  status      smallint not null,
  diagnostics text
);
create index client_recent_errors_latest on client_recent_errors (client_id, at desc, id desc);
`,
};
