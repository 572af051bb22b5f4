import type { Migration } from './migration.js';

/**
 * When each API key was last used (docs/service-keys.md): static and certificate keys by their
 * requests, noted per node and written at most about once a minute; refresh keys by their refreshes.
 */
export const keyLastUsed: Migration = {
  version: 12,
  name: 'API key last used',
  sql: `alter table service_keys add column last_used_at timestamptz;`,
};
