import type { FhirResource } from './types.js';

/** Index rows and access metadata derived from a resource at write time. */
export interface RowValues {
  readonly patientId: string | null;
  readonly codes: string[];
  readonly security: string[];
  readonly tokens: { readonly params: string[]; readonly systems: (string | null)[]; readonly codes: string[] };
}

/** Longest token value or system (in UTF-16 units, so at most ~1.5 kB of UTF-8) that is indexed. */
const MAX_INDEXED = 512;

interface Coding {
  system?: unknown;
  code?: unknown;
}

/**
 * The foundation's extraction: `identifier` tokens for conditional interactions, the Patient
 * compartment owner for distribution, codes and security labels for the access engine. The
 * search issue replaces it with the SearchParameter-driven indexer.
 */
export function rowValues(resource: FhirResource): RowValues {
  const params: string[] = [];
  const systems: (string | null)[] = [];
  const codes: string[] = [];
  for (const ident of arrayOf(resource.identifier)) {
    const value = (ident as { value?: unknown }).value;
    const system = (ident as { system?: unknown }).system;
    // A btree entry must stay under ~2.7 kB; values this long are not identifiers anyone looks up.
    if (typeof value !== 'string' || value.length > MAX_INDEXED || (typeof system === 'string' && system.length > MAX_INDEXED)) continue;
    params.push('identifier');
    systems.push(typeof system === 'string' ? system : null);
    codes.push(value);
  }
  return {
    patientId: patientOf(resource),
    codes: codingsOf((resource.code as { coding?: unknown } | undefined)?.coding),
    security: codingsOf(resource.meta?.security),
    tokens: { params, systems, codes },
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
