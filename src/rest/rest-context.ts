import type { ErrorDetail } from '../errors/fhirkeep-error.js';
import type { FhirResource, ResourceStore } from '../storage/types.js';

export type ValidationOutcome =
  | { readonly ok: true; readonly resource: FhirResource }
  | { readonly ok: false; readonly code: 'unknown-type' | 'invalid-resource'; readonly details: readonly ErrorDetail[] };

/** What every interaction handler may use; built once by the composition root. */
export interface RestContext {
  readonly store: ResourceStore;
  /** The FHIR base URL (`…/fhir`), known once the listener is bound. */
  readonly fhirBase: () => string;
  readonly resourceTypes: ReadonlySet<string>;
  readonly validate: (value: unknown) => ValidationOutcome;
  /** The CapabilityStatement for the current base URL, serialised once. */
  readonly capabilityStatement: () => string;
  readonly defaultCount: number;
  readonly maxCount: number;
}
