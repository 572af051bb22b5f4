import type { RowOf } from '../index/index-tables.js';
import { MAX_INDEXED } from './value-shapes.js';

/** Uri rows (R4 §3.1.1.4.13): uri, url, canonical, oid and uuid values as written. */
export function uriRows(value: unknown): RowOf<'search_uri'>[] {
  return typeof value === 'string' && value !== '' && value.length <= MAX_INDEXED ? [{ uri: value }] : [];
}
