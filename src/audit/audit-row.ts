/** The action of an audited event (R4 AuditEvent.action, http://hl7.org/fhir/audit-event-action). */
export const AUDIT_ACTIONS = ['C', 'R', 'U', 'D', 'E'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** 0 success, 4 minor failure (a refusal), 8 serious failure, 12 major failure (R4 AuditEvent.outcome). */
export const AUDIT_OUTCOMES = [0, 4, 8, 12] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * One row of the audit trail (`audit_events`, src/storage/migrations/011-audit-trail.ts) as the
 * read side sees it; absent columns are undefined.
 */
export interface AuditRow {
  /** The AuditEvent id. */
  readonly seq: string;
  readonly recorded: Date;
  /** `rest` or a DICOM event code (src/audit/audit-event-codes.ts). */
  readonly type: string;
  readonly subtype: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  readonly outcomeDesc: string | undefined;
  readonly accountId: string | undefined;
  readonly clientId: string | undefined;
  /** `Organization/<id>` (a broker's organization) or `ResearchStudy/<id>` (a research partner's study). */
  readonly onBehalfOf: string | undefined;
  readonly ip: string | undefined;
  readonly requestId: string | undefined;
  /** References (`Type/id`) or bare types (`Observation`) of what was touched. */
  readonly entity: readonly string[];
  readonly query: string | undefined;
  readonly patientIds: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}
