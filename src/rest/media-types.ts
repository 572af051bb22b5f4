import { FhirkeepError } from '../errors/fhirkeep-error.js';

/** FHIR R4 §3.1.0.1.9: the JSON mime types a FHIR resource body may carry. */
const RESOURCE_TYPES = new Set(['application/fhir+json', 'application/json']);
const JSON_PATCH = 'application/json-patch+json';

export function requireResourceMediaType(contentType: string | undefined): void {
  if (contentType === undefined || !RESOURCE_TYPES.has(contentType)) {
    throw new FhirkeepError(
      'unsupported-media-type',
      `Content-Type must be application/fhir+json or application/json, got ${contentType ?? 'none'}`,
    );
  }
}

/** FHIR R4 §3.1.0.7.1: patch bodies; only JSON Patch (RFC 6902) is offered. */
export function requirePatchMediaType(contentType: string | undefined): void {
  if (contentType !== JSON_PATCH) {
    throw new FhirkeepError('unsupported-media-type', `Content-Type must be ${JSON_PATCH}, got ${contentType ?? 'none'}`);
  }
}
