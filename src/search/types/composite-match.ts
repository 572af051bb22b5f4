import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { normalizeText } from '../normalize-text.js';
import type { ParamType } from '../params/search-param.js';
import type { CompositeSecond, TokenValue } from '../query/search-query.js';
import { parseToken, splitOn, unescape } from '../query/value-syntax.js';
import { any, indexed, startsWith } from '../sql/fragments.js';
import { parseDateValue } from './date-match.js';
import { instantParam, pointCondition, rangeCondition } from './ordered-match.js';
import { parseQuantityValue } from './quantity-match.js';
import { tokenCondition } from './token-match.js';
import { q, type SqlText } from '../sql/sql-text.js';

/** `code$value` (R4 §3.1.1.4.12): the first part a token, the second parsed by its own type. */
export function parseCompositeValue(raw: string, name: string, second: ParamType): { first: TokenValue; second: CompositeSecond } {
  const parts = splitOn(raw, '$');
  if (parts.length !== 2) throw new FhirkeepError('invalid-parameter', `${name} takes two parts joined by "$", got "${raw}"`);
  const first = parseToken(parts[0] as string, name);
  const rest = parts[1] as string;
  switch (second) {
    case 'token':
      return { first, second: { type: 'token', value: parseToken(rest, name) } };
    case 'quantity':
      return { first, second: { type: 'quantity', value: parseQuantityValue(rest, name) } };
    case 'date':
      return { first, second: { type: 'date', value: parseDateValue(rest, name) } };
    case 'string':
      return { first, second: { type: 'string', value: unescape(rest) } };
    case 'reference':
      return { first, second: { type: 'reference', value: unescape(rest) } };
    default:
      throw new FhirkeepError('invalid-parameter', `${name}: composites with a ${second} part are not supported`);
  }
}

export function compositeSql(alias: string, keys: readonly number[], values: readonly { first: TokenValue; second: CompositeSecond }[]): SqlText {
  const conds = values.map(({ first, second }) => q`(${tokenCondition(first)} and ${secondCondition(second)})`);
  return indexed('search_composite', alias, keys, any(conds));
}

function secondCondition(s: CompositeSecond): SqlText {
  switch (s.type) {
    case 'token':
      return tokenCondition(s.value, q`x.v_system`, q`x.v_code`);
    case 'quantity': {
      const unit = s.value.code === undefined ? q`true` : q`x.v_code = ${s.value.code}`;
      const system = s.value.system === undefined ? q`true` : q`x.v_system = ${s.value.system}`;
      return q`(${unit} and ${system} and x.v_lo is not null and ${pointCondition(q`x.v_lo`, q`x.v_hi`, s.value)})`;
    }
    case 'date':
      return q`(x.v_dlo is not null and ${rangeCondition(q`x.v_dlo`, q`x.v_dhi`, s.value, instantParam)})`;
    case 'string':
      return startsWith(q`x.v_text`, normalizeText(s.value));
    case 'reference':
      return q`x.v_code = ${s.value}`;
  }
}
