import { FhirkeepError } from '../errors/fhirkeep-error.js';

/**
 * AuditEvent is the audit trail: read and searched from its own table (src/rest/audit-events.ts),
 * never kept with the other resources. A search, include or export of the resources table that
 * names it would find nothing and say nothing; it is refused instead, saying where the trail is.
 */
export const AUDIT_TRAIL_TYPE = 'AuditEvent';

/** Whether resources of `type` are kept in the resources table (every R4 type but the audit trail). */
export function isStoredType(type: string): boolean {
  return type !== AUDIT_TRAIL_TYPE;
}

/** Why `what` cannot name AuditEvent, and where to search it instead. */
export function auditTrailElsewhere(what: string, fhirBase: string): string {
  return `${what}: AuditEvent is the audit trail, searched on its own at ${fhirBase}/${AUDIT_TRAIL_TYPE}`;
}

/** A request that names AuditEvent where only stored types can be: a 400 OperationOutcome. */
export function refuseAuditTrail(what: string, fhirBase: string): FhirkeepError {
  return new FhirkeepError('invalid-parameter', auditTrailElsewhere(what, fhirBase));
}
