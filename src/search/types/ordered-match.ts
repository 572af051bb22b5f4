import type { Sql } from 'postgres';
import type { OrderedValue } from '../query/search-query.js';
import type { Fragment } from '../sql/fragments.js';

/**
 * The comparison prefixes over a stored range [lo, hi] (R4 §3.1.1.4.1). `rangeCondition` is the
 * date semantics (the search value is a range at its precision), `pointCondition` the number
 * and quantity semantics (a stored value against the search number, `eq` within its precision).
 */
export function rangeCondition(sql: Sql, lo: Fragment, hi: Fragment, v: OrderedValue, cast: (x: number) => Fragment): Fragment {
  const slo = cast(v.lo);
  const shi = cast(v.hi);
  const within = sql`(${lo} >= ${slo} and ${hi} <= ${shi})`;
  switch (v.prefix) {
    case 'eq':
      return within;
    case 'ne':
      return sql`not ${within}`;
    case 'gt':
      return sql`${hi} > ${shi}`;
    case 'lt':
      return sql`${lo} < ${slo}`;
    // ge/le: the range above (below) the value intersects the target, or the value contains it.
    case 'ge':
      return sql`(${hi} > ${shi} or ${within})`;
    case 'le':
      return sql`(${lo} < ${slo} or ${within})`;
    case 'sa':
      return sql`${lo} > ${shi}`;
    case 'eb':
      return sql`${hi} < ${slo}`;
    case 'ap': {
      // "Approximately": within 10% of the distance between the value and now (R4 §3.1.1.4.6).
      const slack = Math.max(Math.abs(Date.now() - v.lo) * 0.1, 86_400_000);
      return sql`(${lo} <= ${cast(v.hi + slack)} and ${hi} >= ${cast(v.lo - slack)})`;
    }
  }
}

export function pointCondition(sql: Sql, lo: Fragment, hi: Fragment, v: OrderedValue): Fragment {
  const n = (x: number): Fragment => sql`${String(x)}::numeric`;
  switch (v.prefix) {
    case 'eq':
      return sql`(${lo} >= ${n(v.lo)} and ${hi} < ${n(v.hi)})`;
    case 'ne':
      return sql`not (${lo} >= ${n(v.lo)} and ${hi} < ${n(v.hi)})`;
    case 'gt':
      return sql`${hi} > ${n(v.value)}`;
    case 'lt':
      return sql`${lo} < ${n(v.value)}`;
    case 'ge':
      return sql`${hi} >= ${n(v.value)}`;
    case 'le':
      return sql`${lo} <= ${n(v.value)}`;
    case 'sa':
      return sql`${lo} > ${n(v.value)}`;
    case 'eb':
      return sql`${hi} < ${n(v.value)}`;
    case 'ap': {
      // Within 10% of the value (R4 §3.1.1.4.1 leaves "approximately" to the server).
      const slack = Math.abs(v.value) * 0.1;
      return sql`(${lo} <= ${n(v.value + slack)} and ${hi} >= ${n(v.value - slack)})`;
    }
  }
}

/** An instant in epoch ms as a timestamptz parameter. */
export function instantParam(sql: Sql): (ms: number) => Fragment {
  return (ms) => sql`${new Date(ms).toISOString()}::timestamptz`;
}
