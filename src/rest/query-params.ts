import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { isStoredType, refuseAuditTrail } from '../fhir/audit-trail-type.js';
import { parseInstant } from '../fhir/instant.js';

/** `_since` (history, `$everything`): a FHIR instant, or undefined when absent. */
export function sinceParam(query: URLSearchParams): Date | undefined {
  const text = query.get('_since');
  if (text === null) return undefined;
  const since = parseInstant(text);
  if (since === undefined) throw new FhirkeepError('invalid-parameter', `_since must be a FHIR instant (e.g. 2024-01-31T12:00:00Z), got "${text}"`);
  return since;
}

/**
 * `_type` (system search, `$everything`): the resource types listed, comma-separated or repeated;
 * unknown ones are a 400, and so is AuditEvent, which is not among the stored resources searched.
 */
export function typeParam(query: URLSearchParams, resourceTypes: ReadonlySet<string>, fhirBase: string): string[] {
  const listed = [...new Set(query.getAll('_type').flatMap((v) => v.split(',')).filter((v) => v !== ''))];
  for (const t of listed) {
    if (!resourceTypes.has(t)) throw new FhirkeepError('invalid-parameter', `_type: unknown resource type "${t}"`);
    if (!isStoredType(t)) throw refuseAuditTrail('_type', fhirBase);
  }
  return listed;
}
