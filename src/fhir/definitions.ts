import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One SearchParameter, trimmed by scripts/build-definitions.ts to what a search engine needs. */
export interface SearchParameterDefinition {
  readonly id: string;
  readonly url: string;
  readonly code: string;
  /** Resource types it applies to; `Resource` or `DomainResource` for the common ones (`_id`, `_lastUpdated`, …). */
  readonly base: readonly string[];
  readonly type: 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';
  /** FHIRPath; absent for the few that need special code (`_content`, `_query`, `_text`). */
  readonly expression?: string;
  readonly target?: readonly string[];
  readonly modifier?: readonly string[];
  readonly comparator?: readonly string[];
  readonly multipleOr?: boolean;
  readonly multipleAnd?: boolean;
  /** Present only when matching is not `normal`. */
  readonly xpathUsage?: 'phonetic' | 'nearby' | 'distance' | 'other';
  readonly component?: readonly { readonly definition: string; readonly expression: string }[];
}

export interface R4Definitions {
  /** The concrete R4 resource types (abstract Resource and DomainResource excluded). */
  readonly resourceTypes: ReadonlySet<string>;
  /** The R4 base SearchParameters. */
  readonly searchParameters: readonly SearchParameterDefinition[];
  /** The US Core SearchParameters the definitions ship, and which US Core version they are from. */
  readonly usCore: { readonly version: string; readonly searchParameters: readonly SearchParameterDefinition[] };
  /** Resource type → the search parameters that place it in a Patient's compartment. */
  readonly patientCompartment: Readonly<Record<string, readonly string[]>>;
}

// definitions/r4 is two levels above this module both as src/fhir/*.ts and as dist/fhir/*.js.
const dir = new URL('../../definitions/r4/', import.meta.url);
const readJson = <T>(name: string): T => JSON.parse(readFileSync(fileURLToPath(new URL(name, dir)), 'utf8')) as T;
let definitions: R4Definitions | undefined;

/** The R4 definitions Fhirkeep ships (about 550 KB of JSON), read on the first call and shared after it. */
export function loadDefinitions(): R4Definitions {
  if (definitions === undefined) {
    const usCore = readJson<{ version: string; parameters: SearchParameterDefinition[] }>('search-parameters-uscore.json');
    definitions = {
      resourceTypes: new Set(readJson<string[]>('resource-types.json')),
      searchParameters: readJson<SearchParameterDefinition[]>('search-parameters.json'),
      usCore: { version: usCore.version, searchParameters: usCore.parameters },
      patientCompartment: readJson<Record<string, string[]>>('compartment-patient.json'),
    };
  }
  return definitions;
}
