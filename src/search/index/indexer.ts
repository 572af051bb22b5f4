import type { FhirResource } from '../../storage/types.js';
import type { ParamRegistry } from '../params/param-registry.js';
import { emptyIndexRows, extractIndexRows, type IndexRows } from './extract-rows.js';

/**
 * The indexer's version: raise it whenever a change alters the rows of already stored
 * resources; the next start (or `fhirkeep reindex`) then rebuilds them.
 */
export const INDEXER_VERSION = 2;

/** Derives a resource's search index rows. */
export type Indexer = (resource: FhirResource) => IndexRows;

export function createIndexer(registry: ParamRegistry): Indexer {
  return (resource) => {
    const params = registry.forType(resource.resourceType);
    return params === undefined ? emptyIndexRows() : extractIndexRows(resource, params);
  };
}
