import type { ParamType } from '../params/search-param.js';

/** R4 §3.1.1.4 prefixes for ordered types (number, date, quantity). */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** A search parameter resolved for the types a search covers (one key per type that has it). */
export interface ResolvedParam {
  readonly code: string;
  readonly type: ParamType;
  readonly keys: readonly number[];
  /** Reference parameters: the types they may point to. */
  readonly target: readonly string[];
}

export interface TokenValue {
  /** undefined: any system; '': no system (`|code`). */
  readonly system: string | undefined;
  /** undefined: any code of the system (`system|`). */
  readonly code: string | undefined;
}

export interface OrderedValue {
  readonly prefix: Prefix;
  /** The search value's range at its precision (dates in epoch ms, numbers as they are). */
  readonly lo: number;
  readonly hi: number;
  /** The value itself (numbers and quantities; the start of a date). */
  readonly value: number;
}

export interface QuantityValue extends OrderedValue {
  readonly system: string | undefined;
  readonly code: string | undefined;
}

export type ReferenceValue =
  | { readonly kind: 'local'; readonly type: string | undefined; readonly id: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'identifier'; readonly token: TokenValue };

/** The second half of a composite value (`code$value`), parsed by that component's type. */
export type CompositeSecond =
  | { readonly type: 'token'; readonly value: TokenValue }
  | { readonly type: 'quantity'; readonly value: QuantityValue }
  | { readonly type: 'date'; readonly value: OrderedValue }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'reference'; readonly value: string };

export type Clause =
  | { readonly kind: 'token'; readonly param: ResolvedParam; readonly modifier: 'not' | 'text' | undefined; readonly values: readonly TokenValue[] }
  | { readonly kind: 'token-text'; readonly param: ResolvedParam; readonly values: readonly string[] }
  | { readonly kind: 'string'; readonly param: ResolvedParam; readonly modifier: 'exact' | 'contains' | undefined; readonly values: readonly string[] }
  | { readonly kind: 'date'; readonly param: ResolvedParam; readonly values: readonly OrderedValue[] }
  | { readonly kind: 'number'; readonly param: ResolvedParam; readonly values: readonly OrderedValue[] }
  | { readonly kind: 'quantity'; readonly param: ResolvedParam; readonly values: readonly QuantityValue[] }
  | { readonly kind: 'reference'; readonly param: ResolvedParam; readonly values: readonly ReferenceValue[] }
  | { readonly kind: 'uri'; readonly param: ResolvedParam; readonly modifier: 'above' | 'below' | undefined; readonly values: readonly string[] }
  | { readonly kind: 'composite'; readonly param: ResolvedParam; readonly values: readonly { readonly first: TokenValue; readonly second: CompositeSecond }[] }
  | { readonly kind: 'missing'; readonly param: ResolvedParam; readonly missing: boolean }
  | { readonly kind: 'id'; readonly not: boolean; readonly ids: readonly string[] }
  | { readonly kind: 'last-updated'; readonly values: readonly OrderedValue[] }
  /** `ref.param=value`: resources whose reference points to a resource (of a target type) matching `inner`. */
  | { readonly kind: 'chain'; readonly param: ResolvedParam; readonly targets: readonly { readonly type: string; readonly inner: Clause }[] }
  /** `_has:Type:ref:param=value`: resources some resource of `type` points to (through `ref`) and that matches `inner`. */
  | { readonly kind: 'has'; readonly type: string; readonly ref: ResolvedParam; readonly inner: Clause };

export interface SortKey {
  readonly code: string;
  readonly descending: boolean;
  /** `_id`, `_lastUpdated` sort by resource columns; others by their index rows. */
  readonly param: ResolvedParam | '_id' | '_lastUpdated';
}

export interface IncludeSpec {
  /** The type whose references are followed (`_include`) or that points at the results (`_revinclude`). */
  readonly sourceType: string;
  /** Reference parameter keys (several for `*`). */
  readonly keys: readonly number[];
  readonly targetType: string | undefined;
  readonly iterate: boolean;
}

export type TotalMode = 'none' | 'estimate' | 'accurate';
export type SummaryMode = 'true' | 'false' | 'count' | 'data' | 'text';

/** A parsed search: what to match (every clause must hold) and how to present the results. */
export interface SearchQuery {
  readonly types: readonly string[];
  readonly clauses: readonly Clause[];
  readonly sort: readonly SortKey[];
  readonly count: number;
  readonly total: TotalMode | undefined;
  readonly summary: SummaryMode | undefined;
  readonly elements: readonly string[] | undefined;
  readonly include: readonly IncludeSpec[];
  readonly revinclude: readonly IncludeSpec[];
  /** Most resources includes may add to one page. */
  readonly includeLimit: number;
  /** Opaque position from a previous page's link. */
  readonly cursor: string | undefined;
  /** The query as understood, for the `self` link (ignored parameters left out, R4 §3.1.1.7). */
  readonly canonical: URLSearchParams;
  /**
   * Only the parameters that select resources (no `_count`, `_sort`, `_include` …): what makes
   * two conditional criteria the same (the lock of a conditional create).
   */
  readonly selection: URLSearchParams;
}
