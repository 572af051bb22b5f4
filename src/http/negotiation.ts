import { FhirkeepError } from '../errors/fhirkeep-error.js';

export const FHIR_JSON = 'application/fhir+json';

/** What the client will accept, reduced to the JSON type Fhirkeep answers with. */
export type ResponseType = 'application/fhir+json' | 'application/json';

/** `_format` values meaning JSON (FHIR R4 §3.1.0.1.9); every other value names a format Fhirkeep lacks. */
const JSON_FORMATS = new Map<string, ResponseType>([
  ['json', FHIR_JSON],
  ['application/json', 'application/json'],
  ['application/fhir+json', FHIR_JSON],
]);

/**
 * FHIR R4 §3.1.0.1.9 content negotiation: `_format` overrides Accept; JSON only, so a request
 * that can only take XML (or anything else) gets 406.
 */
export function negotiate(format: string | null, accept: string | undefined): ResponseType {
  if (format !== null) {
    const type = JSON_FORMATS.get(mediaTypeOf(format));
    if (type === undefined || !fhirVersionOk(format)) throw notAcceptable(`_format=${format}`);
    return type;
  }
  if (accept === undefined || accept.trim() === '') return FHIR_JSON;
  let fallback: ResponseType | undefined;
  for (const range of accept.split(',')) {
    const type = mediaTypeOf(range);
    if (!fhirVersionOk(range) || qualityOf(range) === 0) continue;
    if (type === FHIR_JSON || type === 'application/*' || type === '*/*') return FHIR_JSON;
    if (type === 'application/json') fallback = 'application/json';
  }
  if (fallback !== undefined) return fallback;
  throw notAcceptable(`Accept: ${accept}`);
}

/** The `type/subtype` of a media type, lower-cased, without parameters. */
export function mediaTypeOf(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/** Parameters are `fhirVersion=4.0` (R4 §3.1.0.1.9, also 4.0.1) or absent; other versions are not served here. */
export function fhirVersionOk(value: string): boolean {
  const m = /;\s*fhirVersion\s*=\s*"?([^;"\s]+)/i.exec(value);
  return m === null || m[1] === '4.0' || m[1] === '4.0.1';
}

function qualityOf(range: string): number {
  const m = /;\s*q\s*=\s*([0-9.]+)/i.exec(range);
  return m?.[1] === undefined ? 1 : Number(m[1]);
}

function notAcceptable(what: string): FhirkeepError {
  return new FhirkeepError('not-acceptable', `Fhirkeep serves FHIR R4 as JSON only (application/fhir+json); cannot answer ${what}`);
}
