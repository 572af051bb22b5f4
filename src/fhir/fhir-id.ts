import { randomUUID } from 'node:crypto';

/** FHIR R4 §2.24.0.1 (datatypes.html#id) `id`: 1–64 of A–Z, a–z, 0–9, '-' and '.'. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function isFhirId(value: string): boolean {
  return FHIR_ID.test(value);
}

/** Server-assigned ids are random UUIDs: unguessable, so ids leak nothing about other records. */
export function newFhirId(): string {
  return randomUUID();
}
