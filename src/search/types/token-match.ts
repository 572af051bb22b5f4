import type { Sql } from 'postgres';
import { normalizeText } from '../normalize-text.js';
import type { TokenValue } from '../query/search-query.js';
import { any, indexed, startsWith, type Fragment } from '../sql/fragments.js';

/** One token value as a condition on a search_token row `x` (R4 §3.1.1.4.8). */
export function tokenCondition(sql: Sql, v: TokenValue, system = sql`x.system`, code = sql`x.code`): Fragment {
  const systemCond = v.system === undefined ? sql`true` : v.system === '' ? sql`${system} is null` : sql`${system} = ${v.system}`;
  if (v.code === undefined) return systemCond;
  return v.system === undefined ? sql`${code} = ${v.code}` : sql`(${code} = ${v.code} and ${systemCond})`;
}

/** Resources with any of the tokens (`:not`: with none of them, R4 §3.1.1.5.5). */
export function tokenSql(sql: Sql, alias: string, keys: readonly number[], values: readonly TokenValue[], not: boolean): Fragment {
  const match = indexed(sql, 'search_token', alias, keys, any(sql, values.map((v) => tokenCondition(sql, v))));
  return not ? sql`not ${match}` : match;
}

/** `:text`: the display or text of a coding or concept starts with the value (folded like strings). */
export function tokenTextSql(sql: Sql, alias: string, keys: readonly number[], values: readonly string[]): Fragment {
  return indexed(sql, 'search_token', alias, keys, any(sql, values.map((v) => startsWith(sql, sql`x.text`, normalizeText(v)))));
}
