import type { OrderedValue } from '../query/search-query.js';
import { parseDecimal, splitPrefix } from '../query/value-syntax.js';
import { any, indexed } from '../sql/fragments.js';
import { pointCondition } from './ordered-match.js';
import { q, type SqlText } from '../sql/sql-text.js';

/** `[prefix]number` (R4 §3.1.1.4.5). */
export function parseNumberValue(raw: string, name: string): OrderedValue {
  const { prefix, rest } = splitPrefix(raw);
  return { prefix, ...parseDecimal(rest, name) };
}

export function numberSql(alias: string, keys: readonly number[], values: readonly OrderedValue[]): SqlText {
  return indexed('search_number', alias, keys, any(values.map((v) => pointCondition(q`x.lo`, q`x.hi`, v))));
}
