import type { RowOf } from '../index/index-tables.js';
import { canonicalRange } from '../ucum.js';
import { isObj, str, type Obj } from './value-shapes.js';

type QuantityRow = RowOf<'search_quantity'>;

export const UCUM = 'http://unitsofmeasure.org';

/**
 * Quantity rows (R4 §3.1.1.4.11): the value with its system and code (the unit text when there
 * is no code), and for UCUM units the same value in canonical units (`ccode`, `clo`, `chi`), so
 * `5.4|http://unitsofmeasure.org|mg` also finds `0.0054 g`. A Range indexes from low to high.
 */
export function quantityRows(value: unknown): QuantityRow[] {
  if (!isObj(value)) return [];
  if ('low' in value || 'high' in value) {
    const low = isObj(value.low) ? value.low : undefined;
    const high = isObj(value.high) ? value.high : undefined;
    const unit = low ?? high;
    if (unit === undefined) return [];
    return [row(unit, typeof low?.value === 'number' ? low.value : -Infinity, typeof high?.value === 'number' ? high.value : Infinity)];
  }
  if (typeof value.value !== 'number') return [];
  return [row(value, value.value, value.value)];
}

function row(q: Obj, lo: number, hi: number): QuantityRow {
  const system = str(q.system);
  const code = str(q.code) ?? str(q.unit);
  const canonical = system === UCUM && code !== null ? canonicalRange(lo, hi, code) : undefined;
  return {
    system,
    code,
    lo: String(lo),
    hi: String(hi),
    ccode: canonical?.code ?? null,
    clo: canonical === undefined ? null : String(canonical.low),
    chi: canonical === undefined ? null : String(canonical.high),
  };
}

