import { isSharing, type Consent, type ConsentKind, type ConsentStatus } from './consent.js';

/** A consent as the JSON API and the CLI's --json show it (the FHIR Consent is at /api/consents/:id). */
export interface ConsentView {
  readonly id: string;
  readonly kind: ConsentKind;
  readonly status: ConsentStatus;
  /** Whether it shares data now: active, and for app/service confirmed for the client's current filter. */
  readonly sharing: boolean;
  readonly account?: string;
  readonly organization?: string;
  readonly client?: string;
  readonly patient?: string;
  readonly filter_version?: number;
  readonly current_filter_version?: number;
  /** Space-separated, as in RFC 6749 §3.3. */
  readonly scope?: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export function consentView(c: Consent): ConsentView {
  return {
    id: c.id,
    kind: c.kind,
    status: c.status,
    sharing: isSharing(c),
    ...(c.accountId === undefined ? {} : { account: c.accountId }),
    ...(c.organizationId === undefined ? {} : { organization: c.organizationId }),
    ...(c.clientId === undefined ? {} : { client: c.clientId }),
    ...(c.patientId === undefined ? {} : { patient: c.patientId }),
    ...(c.filterVersion === undefined ? {} : { filter_version: c.filterVersion }),
    ...(c.currentFilterVersion === undefined ? {} : { current_filter_version: c.currentFilterVersion }),
    ...(c.scopes.length === 0 ? {} : { scope: c.scopes.join(' ') }),
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
