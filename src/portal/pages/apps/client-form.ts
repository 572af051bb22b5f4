import { FhirkeepError } from '../../../errors/fhirkeep-error.js';

/** Redirect URIs, one per line (blank lines ignored). */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Scopes as typed: separated by spaces or line breaks (RFC 6749 §3.3 delimits with spaces). */
export function scopeList(text: string): string[] {
  return text.split(/\s+/).filter((s) => s !== '');
}

/**
 * A pasted JWK Set; undefined when the field is empty. JSON that does not parse is the page's
 * own 400 (the API gets JSON already parsed); what the set holds is the registry's to judge.
 */
export function pastedJwks(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FhirkeepError('bad-request', `The JWK Set is not valid JSON: ${(e as Error).message}`);
  }
}
