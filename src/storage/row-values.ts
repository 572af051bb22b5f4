import type { FhirResource } from './types.js';

/** Access metadata derived from a resource at write time. */
export interface RowValues {
  readonly patientId: string | null;
  readonly codes: string[];
  readonly security: string[];
}

interface Coding {
  system?: unknown;
  code?: unknown;
}

/**
 * The access metadata of a resource (search index rows come from src/search/index): the
 * Patient-compartment owner for distribution, codes and security labels for the access engine.
 */
export function rowValues(resource: FhirResource): RowValues {
  return {
    patientId: patientOf(resource),
    codes: codingsOf((resource.code as { coding?: unknown } | undefined)?.coding),
    security: codingsOf(resource.meta?.security),
  };
}

function patientOf(resource: FhirResource): string | null {
  if (resource.resourceType === 'Patient') return resource.id ?? null;
  for (const field of ['subject', 'patient']) {
    const ref = (resource[field] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref === 'string' && ref.startsWith('Patient/')) return ref.slice('Patient/'.length);
  }
  return null;
}

function codingsOf(value: unknown): string[] {
  return arrayOf(value).flatMap((c) => {
    const { system, code } = c as Coding;
    return typeof code === 'string' ? [`${typeof system === 'string' ? system : ''}|${code}`] : [];
  });
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
