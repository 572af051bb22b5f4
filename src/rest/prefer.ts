/** FHIR R4 §3.1.0.6 / RFC 7240: what a write returns. */
export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

export function returnPreference(prefer: string | undefined): ReturnPreference {
  if (prefer === undefined) return 'representation';
  for (const part of prefer.split(/[;,]/)) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (name?.toLowerCase() === 'return') {
      const v = value?.replace(/^"|"$/g, '');
      if (v === 'minimal' || v === 'representation' || v === 'OperationOutcome') return v;
    }
  }
  return 'representation';
}
