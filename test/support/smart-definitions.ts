import type { SmartDefinitions } from '../../src/access/smart-access.js';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { r4ParamRegistry } from '../../src/search/params/param-registry.js';
import { parseSearch } from '../../src/search/query/parse-search.js';
import { SEARCH_LIMIT_DEFAULTS } from '../../src/search/query/search-limits.js';

/** What compiling SMART scopes needs, built from the R4 definitions as the server builds it, without a server. */
export function smartDefinitions(): SmartDefinitions {
  const definitions = loadDefinitions();
  const registry = r4ParamRegistry();
  return {
    resourceTypes: definitions.resourceTypes,
    compartmentTypes: new Set(Object.keys(definitions.patientCompartment)),
    parseSearch: (types, query, strict) =>
      parseSearch({ registry, resourceTypes: definitions.resourceTypes, limits: { ...SEARCH_LIMIT_DEFAULTS, defaultCount: 50, maxCount: 200, maxChainDepth: 3 }, fhirBase: 'http://localhost/fhir', strict }, types, query),
  };
}
