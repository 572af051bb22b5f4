import type { AccessScope } from '../access/scope.js';
import type { AuditReach } from '../access/audit-access.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { BulkExportService } from '../bulk/export-service.js';
import type { ElementSummary } from '../fhir/definitions.js';
import type { ValidationOutcome } from '../fhir/validator.js';
import type { CompartmentOptions } from '../search/query/compartment-query.js';
import type { SearchQuery } from '../search/query/search-query.js';
import type { SearchLimits } from '../search/query/search-limits.js';
import type { AuditEventStore } from '../storage/audit/audit-event-query.js';
import type { ResourceStore } from '../storage/types.js';

/** What every interaction handler may use; built once by the composition root. */
export interface RestContext {
  readonly store: ResourceStore;
  /** The FHIR base URL (`…/fhir`), known once the listener is bound. */
  readonly fhirBase: () => string;
  readonly resourceTypes: ReadonlySet<string>;
  /** The types of the R4 Patient compartment (patient-level and Group exports cover only these). */
  readonly compartmentTypes: ReadonlySet<string>;
  readonly validate: (value: unknown) => ValidationOutcome;
  /** The CapabilityStatement for the current base URL, serialised once. */
  readonly capabilityStatement: () => string;
  readonly defaultCount: number;
  readonly maxCount: number;
  /** Most entries a batch or transaction Bundle may hold. */
  readonly maxBundleEntries: number;
  /** The bounds of every search (clauses, OR values, includes, chains): settings, so parsers outside `parseSearch` keep them too. */
  readonly searchLimits: SearchLimits;
  /** Parses a search's parameters for the types it covers (src/search/query/parse-search.ts). */
  readonly parseSearch: (types: readonly string[], query: URLSearchParams, strict: boolean) => SearchQuery;
  /** The search for one Patient's compartment (`$everything`). */
  readonly compartmentQuery: (patientId: string, options: CompartmentOptions) => SearchQuery;
  /** Bulk Data export jobs: kick-off queues one (src/rest/operations/export.ts). */
  readonly bulkExport: BulkExportService;
  /** Each type's summary, mandatory and choice elements, for `_summary` and `_elements`. */
  readonly elements: Readonly<Record<string, ElementSummary>>;
  /** The audit trail, answered as AuditEvents (src/rest/audit-events.ts). */
  readonly auditEvents: AuditEventStore;
  /** Which audit rows a request may read or search (src/access/audit-access.ts); throws `forbidden` when none. */
  readonly auditReach: (scope: AccessScope, permission: 'r' | 's') => Promise<AuditReach>;
  /** Where each request's audit row goes (docs/audit.md); absent: requests are not audited. */
  readonly auditTrail?: Pick<AuditTrail, 'record'>;
}
