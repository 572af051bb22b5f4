import type { SortKey } from '../query/search-query.js';
import { paramIs, type Fragment } from './fragments.js';
import { q, raw } from './sql-text.js';

/** Per type: the value a resource sorts by ascending and descending (R4 §3.1.1.5.6). */
const SORT_VALUE: Readonly<Record<string, { table: string; asc: string; desc: string }>> = {
  date: { table: 'search_date', asc: 'min(x.lo)', desc: 'max(x.hi)' },
  string: { table: 'search_string', asc: 'min(x.norm)', desc: 'max(x.norm)' },
  token: { table: 'search_token', asc: 'min(x.code)', desc: 'max(x.code)' },
  number: { table: 'search_number', asc: 'min(x.lo)', desc: 'max(x.hi)' },
  quantity: { table: 'search_quantity', asc: 'min(coalesce(x.clo, x.lo))', desc: 'max(coalesce(x.chi, x.hi))' },
  reference: { table: 'search_reference', asc: "min(coalesce(x.target_type || '/' || x.target_id, x.url))", desc: "max(coalesce(x.target_type || '/' || x.target_id, x.url))" },
  uri: { table: 'search_uri', asc: 'min(x.uri)', desc: 'max(x.uri)' },
};

/** `order by` items for the sort keys over the row `r`, missing values last, ties by key. */
export function orderBy(keys: readonly SortKey[]): Fragment {
  const items = [...keys].reverse().map((k) => {
    const dir = raw(k.descending ? 'desc nulls last' : 'asc nulls last');
    if (k.param === '_id') return q`r.id ${dir}`;
    if (k.param === '_lastUpdated') return q`r.last_updated ${dir}`;
    const v = SORT_VALUE[k.param.type] as { table: string; asc: string; desc: string };
    return q`(select ${raw(k.descending ? v.desc : v.asc)} from ${raw(v.table)} x where x.rid = r.rid and ${paramIs(k.param.keys)}) ${dir}`;
  });
  return items.reduce((acc, item) => q`${item}, ${acc}`, q`r.rid`);
}
