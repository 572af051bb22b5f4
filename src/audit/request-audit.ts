import type { Principal } from '../access/principal.js';
import type { FhirRequest } from '../rest/fhir-request.js';
import type { StoredVersion } from '../storage/types.js';
import { agentsOf } from './agents.js';
import { outcomeOfStatus, type AuditAction, type AuditOutcome, type AuditRow } from './audit-row.js';
import type { AuditedInteraction } from './fhir-interaction.js';

/** What a request's audit row is made of; a FhirRequest, or what the adapter knows of one it refuses. */
export type AuditedRequest = Pick<FhirRequest, 'method' | 'path' | 'query' | 'body' | 'contentType' | 'origin'> & { readonly principal: Principal };

/** Parameters that shape an answer's format, not what it reads: left out of the recorded query. */
const FORMAT_NOISE = new Set(['_format', '_pretty']);

/**
 * The audit of one FHIR request while it runs: the store it uses notes what it returned (the
 * patients, from the rows' `patient_id`) and writes the row of a write inside the write's
 * transaction; `finish` then gives the row still to queue, if any.
 */
export class RequestAudit {
  private readonly recorded = new Date();
  private readonly patients = new Set<string>();
  private readonly written: string[] = [];
  /** Set once a write inserted this request's row in its own transaction. */
  private rowWritten = false;
  private subtype: string;

  constructor(
    private readonly req: AuditedRequest,
    private readonly interaction: AuditedInteraction,
  ) {
    this.subtype = interaction.subtype;
  }

  /** A Bundle, once read, is a batch or a transaction. */
  bundleType(type: 'batch' | 'transaction'): void {
    this.subtype = type;
  }

  /** Resources the request read and may answer with. */
  returned(versions: Iterable<StoredVersion | undefined>): void {
    for (const v of versions) if (v?.patientId != null) this.patients.add(v.patientId);
  }

  /**
   * The row of this request's write, to insert in the write's transaction: it commits or rolls
   * back with the write. `created` for an update that created the resource.
   */
  writeRow(version: StoredVersion | undefined, created = false): AuditRow {
    this.rowWritten = true;
    if (version !== undefined) {
      this.written.push(`${version.type}/${version.id}`);
      if (version.patientId != null) this.patients.add(version.patientId);
    }
    return this.row(0, created ? 'C' : this.interaction.action);
  }

  /** The rows of a transaction's plain creates, one per entry, inserted with them. */
  createRows(versions: readonly StoredVersion[]): AuditRow[] {
    return versions.map((v) => ({
      ...this.row(0, 'C', 'create'),
      entity: [`${v.type}/${v.id}`],
      patientIds: v.patientId == null ? [] : [v.patientId],
    }));
  }

  /**
   * The request's row, answered with `status` (and a failure's error code), unless its write
   * inserted it already. A failure names no patient: nothing of theirs was returned or changed.
   */
  finish(status: number, errorCode?: string): AuditRow | undefined {
    const outcome = outcomeOfStatus(status);
    if (outcome === 0 && this.rowWritten) return undefined;
    if (outcome !== 0) {
      this.patients.clear();
      this.written.length = 0;
    }
    return { ...this.row(outcome, this.interaction.action), ...(errorCode === undefined ? {} : { outcomeDesc: errorCode }) };
  }

  private row(outcome: AuditOutcome, action: AuditAction, subtype = this.subtype): AuditRow {
    const agents = agentsOf(this.req.principal);
    const entity = this.interaction.entity === undefined ? this.written : [this.interaction.entity, ...this.written.filter((e) => e !== this.interaction.entity)];
    return {
      recorded: this.recorded,
      type: 'rest',
      subtype,
      action,
      outcome,
      accountId: agents.accountId,
      clientId: agents.clientId,
      onBehalfOf: agents.onBehalfOf,
      ip: this.req.origin?.ip,
      requestId: this.req.origin?.requestId,
      entity,
      query: queryOf(this.req),
      patientIds: [...this.patients],
      detail: agents.detail,
    };
  }
}

/** The request's parameters, a POSTed search form's included (R4 §3.1.1.1), without format noise. */
function queryOf(req: AuditedRequest): string | undefined {
  const form = req.method === 'POST' && req.contentType === 'application/x-www-form-urlencoded' ? new URLSearchParams(req.body ?? '') : undefined;
  if (req.query.size === 0 && form === undefined) return undefined;
  const kept = new URLSearchParams();
  for (const params of form === undefined ? [req.query] : [req.query, form]) {
    for (const [name, value] of params) if (!FORMAT_NOISE.has(name)) kept.append(name, value);
  }
  return kept.size === 0 ? undefined : kept.toString();
}
