import { TABLE_OF } from '../index/index-tables.js';
import type { SortKey } from '../query/search-query.js';
import { paramIs } from './fragments.js';
import { q, raw, type SqlText } from './sql-text.js';

/** Per sortable type: the value a resource sorts by ascending and descending (R4 §3.1.1.5.6). */
const SORT_VALUE: Readonly<Record<string, { asc: string; desc: string }>> = {
  date: { asc: 'min(x.lo)', desc: 'max(x.hi)' },
  string: { asc: 'min(x.norm)', desc: 'max(x.norm)' },
  token: { asc: 'min(x.code)', desc: 'max(x.code)' },
  number: { asc: 'min(x.lo)', desc: 'max(x.hi)' },
  quantity: { asc: 'min(coalesce(x.clo, x.lo))', desc: 'max(coalesce(x.chi, x.hi))' },
  reference: { asc: "min(coalesce(x.target_type || '/' || x.target_id, x.url))", desc: "max(coalesce(x.target_type || '/' || x.target_id, x.url))" },
  uri: { asc: 'min(x.uri)', desc: 'max(x.uri)' },
};

/** Whether results can be sorted by a parameter of this type (composites and specials cannot). */
export function isSortable(type: string): boolean {
  return type in SORT_VALUE;
}

/** `order by` items for the sort keys over the row `r`, missing values last, ties by key. */
export function orderBy(keys: readonly SortKey[]): SqlText {
  const items = [...keys].reverse().map((k) => {
    const dir = raw(k.descending ? 'desc nulls last' : 'asc nulls last');
    if (k.param === '_id') return q`r.id ${dir}`;
    if (k.param === '_lastUpdated') return q`r.last_updated ${dir}`;
    const v = SORT_VALUE[k.param.type] as { asc: string; desc: string };
    const table = TABLE_OF[k.param.type as keyof typeof TABLE_OF];
    return q`(select ${raw(k.descending ? v.desc : v.asc)} from ${raw(table)} x where x.rid = r.rid and ${paramIs(k.param.keys)}) ${dir}`;
  });
  return items.reduce((acc, item) => q`${item}, ${acc}`, q`r.rid`);
}
