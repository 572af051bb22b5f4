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
  /** Parameters of the target a server is expected to chain on (US Core only, e.g. `practitioner.name`). */
  readonly chain?: readonly string[];
  readonly multipleOr?: boolean;
  readonly multipleAnd?: boolean;
  /** Present only when matching is not `normal`. */
  readonly xpathUsage?: 'phonetic' | 'nearby' | 'distance' | 'other';
  readonly component?: readonly { readonly definition: string; readonly expression: string }[];
}

/** A conformance verb of the capabilitystatement-expectation extension. */
export type Expectation = 'SHALL' | 'SHOULD' | 'MAY';

/** What the US Core Server CapabilityStatement asks of one resource type. */
export interface UsCoreServerResource {
  /** Search parameter codes, each defined by a US Core SearchParameter of this type. */
  readonly searchParams: readonly { readonly code: string; readonly expectation: Expectation }[];
  /** Parameters a server is expected to support together in one search. */
  readonly combinations: readonly { readonly params: readonly string[]; readonly expectation: Expectation }[];
  /** `_include` values, e.g. `MedicationRequest:medication`. */
  readonly searchInclude: readonly { readonly value: string; readonly expectation: Expectation }[];
  /** `_revinclude` values, e.g. `Provenance:target`. */
  readonly searchRevInclude: readonly { readonly value: string; readonly expectation: Expectation }[];
  readonly operations: readonly { readonly name: string; readonly definition: string; readonly expectation: Expectation }[];
  /** Canonical URLs of the profiles a server supports for this type. */
  readonly profiles: readonly string[];
}

/** The US Core implementation guide Fhirkeep implements (definitions/r4/us-core-3.1.1.json). */
export interface UsCoreDefinitions {
  readonly version: string;
  readonly searchParameters: readonly SearchParameterDefinition[];
  /** The US Core Server CapabilityStatement, by resource type. */
  readonly server: Readonly<Record<string, UsCoreServerResource>>;
}

/** One resource type's top-level elements, named as JSON properties (`value` for `value[x]`). */
export interface ElementSummary {
  /** Elements marked isSummary: what `_summary=true` keeps. */
  readonly summary: readonly string[];
  /** Elements with min ≥ 1: kept by `_elements` whatever it lists. */
  readonly mandatory: readonly string[];
  /** Choice element → its JSON property names (`value` → `valueQuantity`, `valueString`, …). */
  readonly choice: Readonly<Record<string, readonly string[]>>;
}

export interface R4Definitions {
  /** The concrete R4 resource types (abstract Resource and DomainResource excluded). */
  readonly resourceTypes: ReadonlySet<string>;
  /** The R4 base SearchParameters. */
  readonly searchParameters: readonly SearchParameterDefinition[];
  readonly usCore: UsCoreDefinitions;
  /** Resource type → the search parameters that place it in a Patient's compartment. */
  readonly patientCompartment: Readonly<Record<string, readonly string[]>>;
  /** Resource type → its top-level elements for `_summary` and `_elements`. */
  readonly elements: Readonly<Record<string, ElementSummary>>;
}

// definitions/r4 is two levels above this module both as src/fhir/*.ts and as dist/fhir/*.js.
const dir = new URL('../../definitions/r4/', import.meta.url);
const readJson = <T>(name: string): T => JSON.parse(readFileSync(fileURLToPath(new URL(name, dir)), 'utf8')) as T;
let definitions: R4Definitions | undefined;

/** The R4 definitions Fhirkeep ships (about 610 KB of JSON), read on the first call and shared after it. */
export function loadDefinitions(): R4Definitions {
  if (definitions === undefined) {
    const usCore = readJson<UsCoreDefinitions>('us-core-3.1.1.json');
    definitions = {
      resourceTypes: new Set(readJson<string[]>('resource-types.json')),
      searchParameters: readJson<SearchParameterDefinition[]>('search-parameters.json'),
      usCore: { version: usCore.version, searchParameters: usCore.searchParameters, server: usCore.server },
      patientCompartment: readJson<Record<string, string[]>>('compartment-patient.json'),
      elements: readJson<Record<string, ElementSummary>>('elements.json'),
    };
  }
  return definitions;
}
