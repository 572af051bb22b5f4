import type { OrderedValue } from '../query/search-query.js';
import { q, type SqlText } from '../sql/sql-text.js';
import { instantText } from './date-range.js';

/**
 * The comparison prefixes over a stored range [lo, hi] (R4 §3.1.1.4.1). `rangeCondition` is the
 * date semantics (the search value is a range at its precision), `pointCondition` the number
 * and quantity semantics (a stored value against the search number, `eq` within its precision).
 */
export function rangeCondition(lo: SqlText, hi: SqlText, v: OrderedValue, cast: (x: number) => SqlText): SqlText {
  const slo = cast(v.lo);
  const shi = cast(v.hi);
  const within = q`(${lo} >= ${slo} and ${hi} <= ${shi})`;
  switch (v.prefix) {
    case 'eq':
      return within;
    case 'ne':
      return q`not ${within}`;
    case 'gt':
      return q`${hi} > ${shi}`;
    case 'lt':
      return q`${lo} < ${slo}`;
    // ge/le: the range above (below) the value intersects the target, or the value contains it.
    case 'ge':
      return q`(${hi} > ${shi} or ${within})`;
    case 'le':
      return q`(${lo} < ${slo} or ${within})`;
    case 'sa':
      return q`${lo} > ${shi}`;
    case 'eb':
      return q`${hi} < ${slo}`;
    case 'ap': {
      // "Approximately": within 10% of the distance between the value and now (R4 §3.1.1.4.6).
      const slack = Math.max(Math.abs(Date.now() - v.lo) * 0.1, 86_400_000);
      return q`(${lo} <= ${cast(v.hi + slack)} and ${hi} >= ${cast(v.lo - slack)})`;
    }
  }
}

export function pointCondition(lo: SqlText, hi: SqlText, v: OrderedValue): SqlText {
  const n = (x: number): SqlText => q`${String(x)}::numeric`;
  switch (v.prefix) {
    case 'eq':
      return q`(${lo} >= ${n(v.lo)} and ${hi} < ${n(v.hi)})`;
    case 'ne':
      return q`not (${lo} >= ${n(v.lo)} and ${hi} < ${n(v.hi)})`;
    case 'gt':
      return q`${hi} > ${n(v.value)}`;
    case 'lt':
      return q`${lo} < ${n(v.value)}`;
    case 'ge':
      return q`${hi} >= ${n(v.value)}`;
    case 'le':
      return q`${lo} <= ${n(v.value)}`;
    case 'sa':
      return q`${lo} > ${n(v.value)}`;
    case 'eb':
      return q`${hi} < ${n(v.value)}`;
    case 'ap': {
      // Within 10% of the value (R4 §3.1.1.4.1 leaves "approximately" to the server).
      const slack = Math.abs(v.value) * 0.1;
      return q`(${lo} <= ${n(v.value + slack)} and ${hi} >= ${n(v.value - slack)})`;
    }
  }
}

/** An instant in epoch ms as a timestamptz parameter (see instantText). */
export function instantParam(ms: number): SqlText {
  return q`${instantText(ms)}::timestamptz`;
}
