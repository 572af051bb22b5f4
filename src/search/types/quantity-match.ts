import type { QuantityValue } from '../query/search-query.js';
import { parseDecimal, splitOn, splitPrefix, unescape } from '../query/value-syntax.js';
import { any, indexed } from '../sql/fragments.js';
import { canonicalQuantity, canonicalRange } from '../ucum.js';
import { pointCondition } from './ordered-match.js';
import { UCUM } from './quantity-values.js';
import { q, type SqlText } from '../sql/sql-text.js';

/** `[prefix]number|system|code` or `[prefix]number||unit` or `[prefix]number` (R4 §3.1.1.4.11). */
export function parseQuantityValue(raw: string, name: string): QuantityValue {
  const [num = '', system = '', code = ''] = splitOn(raw, '|');
  const { prefix, rest } = splitPrefix(num);
  const parsed = parseDecimal(rest, name);
  return { prefix, ...parsed, system: system === '' ? undefined : unescape(system), code: code === '' ? undefined : unescape(code) };
}

/**
 * With a UCUM unit the comparison runs on canonical values, so any commensurable unit
 * matches; other units compare as written (the code, or the unit text where a value has no
 * code; without a system, R4 matches either).
 */
export function quantitySql(alias: string, keys: readonly number[], values: readonly QuantityValue[]): SqlText {
  const conds = values.map((v) => {
    if (v.code !== undefined && v.system === UCUM) {
      const c = canonicalQuantity(v.value, v.code);
      const range = canonicalRange(v.lo, v.hi, v.code);
      if (c !== undefined && range !== undefined) {
        return q`(x.ccode = ${c.code} and ${pointCondition(q`x.clo`, q`x.chi`, { prefix: v.prefix, value: c.value, lo: range.low, hi: range.high })})`;
      }
    }
    const unit = v.code === undefined ? q`true` : q`x.code = ${v.code}`;
    const system = v.system === undefined ? q`true` : q`x.system = ${v.system}`;
    return q`(${unit} and ${system} and ${pointCondition(q`x.lo`, q`x.hi`, v)})`;
  });
  return indexed('search_quantity', alias, keys, any(conds));
}
