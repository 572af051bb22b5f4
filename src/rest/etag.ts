import { FhirkeepError } from '../errors/fhirkeep-error.js';

/** FHIR R4 §3.1.0.5.3: the ETag is the weak versionId, `W/"<versionId>"`. */
export function etagOf(versionId: number): string {
  return `W/"${versionId}"`;
}

/** Parses an If-Match value into a versionId; accepts the weak and strong forms clients send. */
export function parseIfMatch(value: string): number {
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(value);
  if (!m?.[1]) {
    throw new FhirkeepError('bad-request', `If-Match must be W/"<versionId>", got ${JSON.stringify(value)}`);
  }
  return Number(m[1]);
}

/** True when an If-None-Match header names this version (or `*`), RFC 9110 §13.1.2. */
export function ifNoneMatchHits(value: string, versionId: number): boolean {
  return value.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etagOf(versionId) || t === `"${versionId}"`;
  });
}
