import type { SearchParameterDefinition } from '../../fhir/definitions.js';
import type { Accessor } from '../extract/fhirpath-r4.js';

export type ParamType = SearchParameterDefinition['type'];

/**
 * A two-part composite (e.g. Observation code-value-quantity): for each union member of its
 * expression, the nodes it selects and, relative to each node, its two components' values.
 */
export interface CompositeDefinition {
  readonly types: readonly [ParamType, ParamType];
  readonly parts: readonly { readonly node: Accessor; readonly components: readonly [Accessor, Accessor] }[];
}

/** A search parameter of one resource type, ready to index and to search. */
export interface SearchParam {
  /** Key of its rows in the index tables (see param-key.ts). */
  readonly key: number;
  readonly code: string;
  readonly type: ParamType;
  /** Reference types it may point to (reference parameters). */
  readonly target: readonly string[];
  readonly url: string;
  /**
   * The values it indexes from a resource; absent for parameters answered from resource
   * columns (`_id`, `_lastUpdated`) or not indexable (`_text`, `_content`, `near`).
   */
  readonly accessor?: Accessor;
  readonly composite?: CompositeDefinition;
  /**
   * For a parameter that is exactly the union of others (Observation `combo-code` = `code` +
   * `component-code`): their keys. It has no rows of its own; a search looks in theirs.
   */
  readonly aliasOf?: readonly number[];
}
