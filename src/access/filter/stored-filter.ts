import { isFhirkeepError } from '../../errors/fhirkeep-error.js';
import type { AccessFilter } from './access-filter.js';
import { parseAccessFilter, type FilterContext } from './parse-filter.js';

/**
 * A client's stored filter as the taxonomy reads it now; undefined: the client has none. A
 * filter that was valid when saved but no longer is (a group or content since removed) lets
 * nothing through until it is saved again: guessing what it meant could only widen it.
 */
export function readStoredFilter(stored: unknown, context: FilterContext): AccessFilter | undefined {
  if (stored === undefined || stored === null) return undefined;
  try {
    return parseAccessFilter(stored, context);
  } catch (e) {
    if (isFhirkeepError(e) && e.code === 'bad-request') return { blocks: [] };
    throw e;
  }
}
