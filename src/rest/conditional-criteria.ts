import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { SearchQuery } from '../search/query/search-query.js';
import type { RestContext } from './rest-context.js';

/**
 * The search part of a conditional interaction (R4 §3.1.0.8–3.1.0.11) as a search for at most
 * two matches (enough to tell none, one and several apart). Unknown parameters are refused
 * (strict handling), never ignored: ignoring one would widen the match and could update or
 * delete the wrong resource.
 */
export function parseConditionalCriteria(ctx: RestContext, type: string, query: URLSearchParams): SearchQuery {
  const parsed = ctx.parseSearch([type], query, true);
  if (parsed.clauses.length === 0) throw new FhirkeepError('invalid-parameter', 'A conditional interaction needs search criteria');
  return { ...parsed, count: 2, sort: [], include: [], revinclude: [], total: 'none', summary: undefined, elements: undefined, cursor: undefined };
}
