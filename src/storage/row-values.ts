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

/**
 * Where a Patient-compartment type names its patient under another name than `subject` or
 * `patient` (R4 CompartmentDefinition patient). A research partner reaches a study's subjects
 * through their ResearchSubject's compartment (docs/research.md).
 */
const PATIENT_FIELDS: Readonly<Record<string, readonly string[]>> = { ResearchSubject: ['individual'] };

function patientOf(resource: FhirResource): string | null {
  if (resource.resourceType === 'Patient') return resource.id ?? null;
  for (const field of PATIENT_FIELDS[resource.resourceType] ?? ['subject', 'patient']) {
    const ref = (resource[field] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref === 'string' && ref.startsWith('Patient/')) return ref.slice('Patient/'.length);
  }
  return null;
}
