import { loadDefinitions } from '../../src/fhir/definitions.js';
import { r4ParamRegistry } from '../../src/search/params/param-registry.js';
import { parseSearch } from '../../src/search/query/parse-search.js';
import type { SearchQuery } from '../../src/search/query/search-query.js';
import { SEARCH_LIMIT_DEFAULTS } from '../../src/search/query/search-limits.js';

/** A parsed search over `type` for storage tests, as the REST layer would build it (strict handling). */
export function searchQuery(type: string, query: string, count = 2): SearchQuery {
  const parsed = parseSearch(
    {
      registry: r4ParamRegistry(),
      resourceTypes: loadDefinitions().resourceTypes,
      limits: { ...SEARCH_LIMIT_DEFAULTS, defaultCount: count, maxCount: 1000, maxChainDepth: 3 },
      fhirBase: 'http://localhost/fhir',
      strict: true,
    },
    [type],
    new URLSearchParams(query),
  );
  return { ...parsed, total: 'none' };
}
