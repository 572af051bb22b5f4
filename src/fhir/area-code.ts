/**
 * Area codes (docs/hie.md): hierarchical codes of administrative areas, two digits per level —
 * division (2), district (4), upazila (6), union or ward (8) and finer levels to 12 — so an
 * area's code is a prefix of the codes of every area inside it. HIE users' catchments are such
 * codes, and a Patient is in a catchment when one of its address's area codes starts with it.
 */

/** The extension on an Address carrying its area code (valueCode); Fhirkeep's own. */
export const AREA_CODE_EXTENSION = 'http://fhirkeep.org/fhir/StructureDefinition/address-area-code';

/** Digits only, an even number of them, 2 to 12: one to six levels of two digits. */
export const AREA_CODE = /^(?:[0-9]{2}){1,6}$/;

export function isAreaCode(code: string): boolean {
  return AREA_CODE.test(code);
}

/**
 * The area codes of a Patient's addresses: per address, its area-code extension, or else its
 * `district` when that is itself an area code (partners that send district codes in place of
 * names). Values that are not area codes are ignored, so a catchment never matches by accident.
 */
export function patientAreaCodes(patient: unknown): string[] {
  const addresses = isRecord(patient) && Array.isArray(patient.address) ? patient.address : [];
  const codes = new Set<string>();
  for (const address of addresses) {
    if (!isRecord(address)) continue;
    const extensions = Array.isArray(address.extension) ? address.extension : [];
    const coded = extensions.filter((e): e is Record<string, unknown> => isRecord(e) && e.url === AREA_CODE_EXTENSION).map((e) => e.valueCode);
    const chosen = coded.length > 0 ? coded : [address.district];
    for (const code of chosen) if (typeof code === 'string' && isAreaCode(code)) codes.add(code);
  }
  return [...codes];
}

/**
 * The half-open range `[lo, hi)` of the codes starting with `prefix`, for an index range scan:
 * `hi` is the prefix with its last digit raised (trailing 9s dropped first), undefined when the
 * prefix is all 9s (no code after it). Area codes are digits only, and digit strings sort the
 * same way in every collation, so the range is exactly the codes with that prefix.
 */
export function areaCodeRange(prefix: string): { readonly lo: string; readonly hi: string | undefined } {
  const kept = prefix.replace(/9+$/, '');
  if (kept === '') return { lo: prefix, hi: undefined };
  const last = kept.charCodeAt(kept.length - 1) - 48;
  return { lo: prefix, hi: `${kept.slice(0, -1)}${last + 1}` };
}

/** The prefixes that matter: each once, and none inside another (302618 adds nothing to 3026). */
export function outermostAreas(prefixes: readonly string[]): string[] {
  const sorted = [...new Set(prefixes)].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => p.startsWith(k))) kept.push(p);
  return kept.sort();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
