import type { FhirResource } from '../../storage/types.js';
import type { ParamRegistry } from '../params/param-registry.js';
import { emptyIndexRows, extractIndexRows, type IndexRows } from './extract-rows.js';

/**
 * The indexer's version: raise it whenever a change alters the rows of already stored
 * resources; the next start (or `fhirkeep reindex`) then rebuilds them.
 */
export const INDEXER_VERSION = 1;

export function createIndexer(registry: ParamRegistry): (resource: FhirResource) => IndexRows {
  return (resource) => {
    const params = registry.forType(resource.resourceType);
    return params === undefined ? emptyIndexRows() : extractIndexRows(resource, params);
  };
}
