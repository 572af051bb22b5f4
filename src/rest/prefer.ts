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

/** Bulk Data kick-off: `Prefer: respond-async` (RFC 7240 §4.1). */
export function respondAsync(prefer: string | undefined): boolean {
  return preferTokens(prefer).some(([key]) => key === 'respond-async');
}

/** Bulk Data kick-off: unlike a search, strict unless `Prefer: handling=lenient` says otherwise. */
export function lenientHandling(prefer: string | undefined): boolean {
  return preferValue(prefer, 'handling') === 'lenient';
}

function preferValue(prefer: string | undefined, name: string): string | undefined {
  return preferTokens(prefer).find(([key]) => key === name)?.[1];
}

/** Each preference as [lower-case name, value without quotes]. */
function preferTokens(prefer: string | undefined): [string, string | undefined][] {
  return (prefer ?? '').split(/[;,]/).map((part) => {
    const [key = '', value] = part.split('=').map((s) => s.trim());
    return [key.toLowerCase(), value?.replace(/^"|"$/g, '')];
  });
}
