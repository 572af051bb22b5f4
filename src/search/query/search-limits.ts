/** Bounds on a search's cost, so no single request can occupy the database (issue: hardening). */
export interface SearchLimits {
  readonly defaultCount: number;
  readonly maxCount: number;
  /** Chained parameter levels (`subject:Patient.organization.name` is two). */
  readonly maxChainDepth: number;
  /** Values in one OR list. */
  readonly maxOrValues: number;
  /** Clauses (AND-ed parameters, chains and `_has` included) in one search. */
  readonly maxClauses: number;
  /** `_include`/`_revinclude` parameters, and resources they may add to one page. */
  readonly maxIncludes: number;
  readonly maxIncluded: number;
}

/**
 * The bounds besides page sizes and chain depth: the defaults of FHIRKEEP_MAX_OR_VALUES,
 * FHIRKEEP_MAX_SEARCH_CLAUSES and FHIRKEEP_MAX_INCLUDES, and the fixed maxIncluded.
 */
export const SEARCH_LIMIT_DEFAULTS = { maxOrValues: 100, maxClauses: 40, maxIncludes: 10, maxIncluded: 1000 } as const;
