import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One R4 SearchParameter, trimmed by scripts/build-definitions.ts. */
export interface SearchParameterDefinition {
  readonly id: string;
  readonly url: string;
  readonly code: string;
  readonly base: readonly string[];
  readonly type: 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';
  readonly expression?: string;
  readonly target?: readonly string[];
  readonly modifier?: readonly string[];
  readonly comparator?: readonly string[];
  readonly component?: readonly { readonly definition: string; readonly expression: string }[];
}

export interface R4Definitions {
  readonly resourceTypes: ReadonlySet<string>;
  readonly searchParameters: readonly SearchParameterDefinition[];
  /** Resource type → the search parameters that place it in a Patient's compartment. */
  readonly patientCompartment: Readonly<Record<string, readonly string[]>>;
}

// definitions/r4 is two levels above this module both as src/fhir/*.ts and as dist/fhir/*.js.
const dir = new URL('../../definitions/r4/', import.meta.url);
const readJson = <T>(name: string): T => JSON.parse(readFileSync(fileURLToPath(new URL(name, dir)), 'utf8')) as T;

/** Reads the R4 definitions Fhirkeep ships (a few hundred KB, read once by the composition root). */
export function loadDefinitions(): R4Definitions {
  return {
    resourceTypes: new Set(readJson<string[]>('resource-types.json')),
    searchParameters: readJson<SearchParameterDefinition[]>('search-parameters.json'),
    patientCompartment: readJson<Record<string, string[]>>('compartment-patient.json'),
  };
}
