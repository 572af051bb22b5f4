import type { RowOf } from '../index/index-tables.js';
import { normalizeText } from '../normalize-text.js';
import { isObj, MAX_INDEXED, str, strings } from './value-shapes.js';

type StringRow = RowOf<'search_string'>;

/**
 * String rows of one value (R4 §3.1.1.4.9): a string itself, every part of a HumanName and of
 * an Address (a search matches any part's start). `norm` is case- and accent-folded for the
 * default and `:contains` matches; `exact` is the value as written, for `:exact`.
 */
export function stringRows(value: unknown): StringRow[] {
  if (typeof value === 'string') return row(value);
  if (!isObj(value)) return [];
  const parts =
    'family' in value || 'given' in value
      ? [str(value.text), str(value.family), ...strings(value.given), ...strings(value.prefix), ...strings(value.suffix)]
      : [str(value.text), ...strings(value.line), str(value.city), str(value.district), str(value.state), str(value.postalCode), str(value.country)];
  return parts.flatMap((p) => (p === null ? [] : row(p)));
}

function row(s: string): StringRow[] {
  if (s === '') return [];
  // Long strings (narratives, comments) are searchable by their beginning.
  return [{ norm: normalizeText(s).slice(0, MAX_INDEXED), exact: s.slice(0, MAX_INDEXED) }];
}
