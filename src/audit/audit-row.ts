/**
 * One row of the audit trail (src/storage/migrations/011-audit-trail.ts), as the writers build
 * it: rendered as a FHIR AuditEvent only when read (docs/audit.md).
 */
export interface AuditRow {
  /** When the event happened (not when its batch was written). */
  readonly recorded: Date;
  /** `rest` (audit-event-type) for FHIR interactions, else a DICOM CID 400 code (`110114`, `110113`). */
  readonly type: string;
  /** The FHIR interaction (`read`, `search-type`, `export`, …) or the security event's kind (`login`, …). */
  readonly subtype: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  /** For a failure: the error's stable code (never its message, which can quote request content). */
  readonly outcomeDesc?: string | undefined;
  readonly accountId?: string | undefined;
  readonly clientId?: string | undefined;
  /** `Organization/<id>` a broker acts for, or `ResearchStudy/<id>` a research partner asks in. */
  readonly onBehalfOf?: string | undefined;
  readonly ip?: string | undefined;
  readonly requestId?: string | undefined;
  /** `Type/id` references (or bare types, when a patient's view may not name the ids) the event concerned. */
  readonly entity?: readonly string[] | undefined;
  /** A search's query string (no secrets: FHIR search parameters carry none). */
  readonly query?: string | undefined;
  /** The patients whose data was returned or changed. */
  readonly patientIds?: readonly string[] | undefined;
  /** Why, what else: never a secret, a password, a token or a resource's content. */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

/** A row as the read side gets it back: with its id (the AuditEvent id), every column present. */
export interface StoredAuditRow extends AuditRow {
  readonly seq: string;
  readonly outcomeDesc: string | undefined;
  readonly accountId: string | undefined;
  readonly clientId: string | undefined;
  readonly onBehalfOf: string | undefined;
  readonly ip: string | undefined;
  readonly requestId: string | undefined;
  readonly entity: readonly string[];
  readonly query: string | undefined;
  readonly patientIds: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** AuditEvent.action (R4 audit-event-action): create, read, update, delete, execute. */
export const AUDIT_ACTIONS = ['C', 'R', 'U', 'D', 'E'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** AuditEvent.outcome (R4 audit-event-outcome): success, minor failure (refused), serious, major. */
export const AUDIT_OUTCOMES = [0, 4, 8, 12] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** A refusal or a client's mistake (4xx) is a minor failure; the server's own (5xx) a serious one. */
export function outcomeOfStatus(status: number): AuditOutcome {
  if (status < 400) return 0;
  return status < 500 ? 4 : 8;
}
