import type { Classification, Classifier } from '../access/content/classify.js';
import { labelsOf } from '../access/label-rules.js';
import type { FhirResource } from './types.js';

/** Access metadata derived from a resource at write time. */
export interface RowValues {
  readonly patientId: string | null;
  /** The content type and primary codes, and the content type to register first (auto-register). */
  readonly content: Classification;
  readonly security: string[];
}

/**
 * The access metadata of a resource (search index rows come from src/search/index): the
 * Patient-compartment owner for distribution, content type, codes and security labels for the
 * access engine. Throws 422 when the codes name two content types.
 */
export function rowValues(resource: FhirResource, classify: Classifier): RowValues {
  return {
    patientId: patientOf(resource),
    content: classify(resource),
    security: labelsOf(resource.meta?.security),
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
