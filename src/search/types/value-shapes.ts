/** Shapes of the FHIR datatypes search values come from, read defensively (stored JSON is validated, but fhirpath fallbacks may yield anything). */
export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  return typeof v === 'string' && v !== '' ? [v] : [];
}

/** Longest value indexed (UTF-16 units): a btree entry must stay under ~2.7 kB, and longer values are not looked up. */
export const MAX_INDEXED = 512;

export function indexable(v: string | null): boolean {
  return v === null || v.length <= MAX_INDEXED;
}
