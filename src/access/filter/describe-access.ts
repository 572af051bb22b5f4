import type { RegisteredClient } from '../../auth/clients/client.js';
import type { WriteMode } from './access-filter.js';
import { describeAccessFilter } from './describe-filter.js';
import type { FilterContext } from './parse-filter.js';
import { readStoredFilter } from './stored-filter.js';

/** What each write mode lets a client do, in words (access-filter.ts WriteMode). */
const WRITES: Readonly<Record<WriteMode, string>> = {
  none: 'It cannot add, change or delete anything',
  update: 'It may change records it can see, but not add or delete any',
  create: 'It may add records within these limits and change those it can see, but not delete any',
  any: 'It may add, change and delete records',
};

/**
 * Everything a client may see and do with a holder's data, in plain words: the consent page on
 * an app's first use, the portal's "Apps and services with access" and subscription pages, and
 * the directory API. The filter's lines (which kinds of data, own or shared, time windows), then
 * what it may write. No filter bounds nothing beyond the consents: all the holder's records and
 * those shared with them. A stored filter the taxonomy no longer reads lets nothing through
 * (stored-filter.ts), and an institution's own system (reach `all`) sees every record whatever
 * the holder decides: both are said, never hidden.
 */
export function describeClientAccess(client: Pick<RegisteredClient, 'type' | 'accessFilter' | 'writeMode' | 'reach'>, context: FilterContext): string[] {
  const filter = readStoredFilter(client.accessFilter, context) ?? { blocks: [{ owner: 'all', public: 'never' }] };
  const reach = client.reach === 'all' ? ["It is an institution's own system: it may see every record on this server, not only those you share"] : [];
  if (filter.blocks.length === 0) return [...reach, 'Nothing for now: its data access settings must be saved again by its developer'];
  // A subscription shares the subscriber's own record only (consent-sql.ts, reach `subscribers`):
  // "or that are shared with you" would promise a service more than it gets.
  const seen = client.type === 'service' ? { blocks: filter.blocks.map((b) => ({ ...b, owner: 'self' as const })) } : filter;
  return [...reach, ...describeAccessFilter(seen, context.taxonomy), WRITES[client.writeMode]];
}
