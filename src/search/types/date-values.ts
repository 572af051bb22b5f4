import type { RowOf } from '../index/index-tables.js';
import { instantText, parseDateRange, type InstantRange } from './date-range.js';
import { isObj, str } from './value-shapes.js';

/**
 * Date rows of one value (R4 §3.1.1.4.6): a date, dateTime or instant as the range its
 * precision covers, a Period from its start to its end (open ends unbounded), a Timing's events.
 */
export function dateRows(value: unknown): RowOf<'search_date'>[] {
  return dateRanges(value).map((r) => ({ lo: instantText(r.lo), hi: instantText(r.hi) }));
}

function dateRanges(value: unknown): InstantRange[] {
  if (typeof value === 'string') {
    const r = parseDateRange(value);
    return r === undefined ? [] : [r];
  }
  if (!isObj(value)) return [];
  if ('start' in value || 'end' in value) {
    const start = str(value.start);
    const end = str(value.end);
    const lo = start === null ? -Infinity : parseDateRange(start)?.lo;
    const hi = end === null ? Infinity : parseDateRange(end)?.hi;
    return lo === undefined || hi === undefined || (start === null && end === null) ? [] : [{ lo, hi }];
  }
  if (Array.isArray(value.event)) return value.event.flatMap((e) => dateRanges(e));
  return [];
}
