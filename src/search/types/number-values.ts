import type { RowOf } from '../index/index-tables.js';
import { isObj } from './value-shapes.js';

/** Number rows (R4 §3.1.1.4.5): a decimal or integer as itself; a Range from low to high. */
export function numberRows(value: unknown): RowOf<'search_number'>[] {
  if (typeof value === 'number' && Number.isFinite(value)) return [{ lo: String(value), hi: String(value) }];
  if (isObj(value) && ('low' in value || 'high' in value)) {
    const lo = isObj(value.low) && typeof value.low.value === 'number' ? String(value.low.value) : '-Infinity';
    const hi = isObj(value.high) && typeof value.high.value === 'number' ? String(value.high.value) : 'Infinity';
    return [{ lo, hi }];
  }
  return [];
}
