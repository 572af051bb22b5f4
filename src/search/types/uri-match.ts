import type { Sql } from 'postgres';
import { any, indexed, startsWith, type Fragment } from '../sql/fragments.js';

/**
 * R4 §3.1.1.4.13: a uri matches exactly; `:below` matches uris that start with the value,
 * `:above` uris the value starts with (e.g. the canonical base of a versioned URL).
 */
export function uriSql(sql: Sql, alias: string, keys: readonly number[], values: readonly string[], modifier: 'above' | 'below' | undefined): Fragment {
  const conds = values.map((v) => {
    if (modifier === 'below') return startsWith(sql, sql`x.uri`, v);
    if (modifier === 'above') return sql`(${v}::text like (replace(replace(replace(x.uri, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'))`;
    return sql`x.uri = ${v}`;
  });
  return indexed(sql, 'search_uri', alias, keys, any(sql, conds));
}
