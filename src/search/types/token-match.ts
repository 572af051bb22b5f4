import { normalizeText } from '../normalize-text.js';
import type { TokenValue } from '../query/search-query.js';
import { any, indexed, startsWith } from '../sql/fragments.js';
import { q, type SqlText } from '../sql/sql-text.js';

/** One token value as a condition on a search_token row `x` (R4 §3.1.1.4.8). */
export function tokenCondition(v: TokenValue, system = q`x.system`, code = q`x.code`): SqlText {
  const systemCond = v.system === undefined ? q`true` : v.system === '' ? q`${system} is null` : q`${system} = ${v.system}`;
  if (v.code === undefined) return systemCond;
  return v.system === undefined ? q`${code} = ${v.code}` : q`(${code} = ${v.code} and ${systemCond})`;
}

/** Resources with any of the tokens (`:not`: with none of them, R4 §3.1.1.5.5). */
export function tokenSql(alias: string, keys: readonly number[], values: readonly TokenValue[], not: boolean): SqlText {
  const match = indexed('search_token', alias, keys, any(values.map((v) => tokenCondition(v))));
  return not ? q`not ${match}` : match;
}

/** `:text`: the display or text of a coding or concept starts with the value (folded like strings). */
export function tokenTextSql(alias: string, keys: readonly number[], values: readonly string[]): SqlText {
  return indexed('search_token', alias, keys, any(values.map((v) => startsWith(q`x.text`, normalizeText(v)))));
}
