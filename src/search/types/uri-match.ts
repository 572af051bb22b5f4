import { any, indexed, startsWith } from '../sql/fragments.js';
import { q, type SqlText } from '../sql/sql-text.js';

/**
 * R4 §3.1.1.4.13: a uri matches exactly; `:below` matches uris that start with the value,
 * `:above` uris the value starts with (e.g. the canonical base of a versioned URL).
 */
export function uriSql(alias: string, keys: readonly number[], values: readonly string[], modifier: 'above' | 'below' | undefined): SqlText {
  const conds = values.map((v) => {
    if (modifier === 'below') return startsWith(q`x.uri`, v);
    if (modifier === 'above') return q`(${v}::text like (replace(replace(replace(x.uri, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'))`;
    return q`x.uri = ${v}`;
  });
  return indexed('search_uri', alias, keys, any(conds));
}
