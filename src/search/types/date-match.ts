import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { OrderedValue } from '../query/search-query.js';
import { splitPrefix } from '../query/value-syntax.js';
import { any, indexed } from '../sql/fragments.js';
import { parseDateRange } from './date-range.js';
import { instantParam, rangeCondition } from './ordered-match.js';
import { q, type SqlText } from '../sql/sql-text.js';

/** `[prefix]date` (R4 §3.1.1.4.6); a malformed date is the client's error. */
export function parseDateValue(raw: string, name: string): OrderedValue {
  const { prefix, rest } = splitPrefix(raw);
  const range = parseDateRange(rest);
  if (range === undefined) throw new FhirkeepError('invalid-parameter', `${name}: "${rest}" is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm])`);
  return { prefix, lo: range.lo, hi: range.hi, value: range.lo };
}

export function dateSql(alias: string, keys: readonly number[], values: readonly OrderedValue[]): SqlText {
  return indexed('search_date', alias, keys, any(values.map((v) => rangeCondition(q`x.lo`, q`x.hi`, v, instantParam))));
}
