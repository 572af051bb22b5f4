/** FHIR R4 §3.1.0.6 / RFC 7240: what a write returns. */
export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

export function returnPreference(prefer: string | undefined): ReturnPreference {
  const v = preferValue(prefer, 'return');
  return v === 'minimal' || v === 'representation' || v === 'OperationOutcome' ? v : 'representation';
}

/** R4 §3.1.1.7 `Prefer: handling=strict|lenient` (lenient when absent). */
export function strictHandling(prefer: string | undefined): boolean {
  return preferValue(prefer, 'handling') === 'strict';
}

function preferValue(prefer: string | undefined, name: string): string | undefined {
  for (const part of (prefer ?? '').split(/[;,]/)) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (key?.toLowerCase() === name) return value?.replace(/^"|"$/g, '');
  }
  return undefined;
}
