import { normalizeText } from '../normalize-text.js';
import { any, indexed, likeLiteral, startsWith } from '../sql/fragments.js';
import { q, type SqlText } from '../sql/sql-text.js';

/**
 * R4 §3.1.1.4.9: by default a string matches when a value starts with it, ignoring case and
 * accents (a range scan of the normalised index); `:exact` compares the text as written;
 * `:contains` finds it anywhere (a scan of the parameter's rows).
 */
export function stringSql(alias: string, keys: readonly number[], values: readonly string[], modifier: 'exact' | 'contains' | undefined): SqlText {
  const conds = values.map((v) => {
    if (modifier === 'exact') return q`x.exact = ${v}`;
    const norm = normalizeText(v);
    return modifier === 'contains' ? q`x.norm like ${`%${likeLiteral(norm)}%`}` : startsWith(q`x.norm`, norm);
  });
  return indexed('search_string', alias, keys, any(conds));
}
