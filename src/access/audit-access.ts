import type { Role } from '../auth/accounts/account.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { AccessScope, Reach, SmartGrant } from './scope.js';
import { requirePermission } from './smart-access.js';

/**
 * Which rows of the audit trail a caller sees (docs/audit-reading.md). Storage compiles it into
 * the query (src/storage/audit/audit-event-query.ts), and the AuditEvent is drawn for it
 * (src/audit/audit-event-resource.ts): an auditor sees every row as written; a patient's view
 * shows her own rows with nothing about anyone else.
 */
export type AuditReach =
  | { readonly kind: 'every-event'; readonly acting: Reach | undefined }
  | {
      readonly kind: 'patient';
      /** Rows whose patients include this one. */
      readonly patientId: string;
      /** The consent without which the caller may not act at all (an app's user's consent to it), checked in the same query. */
      readonly acting: Reach | undefined;
    };

/** What the decision needs to know of an account. */
export interface AuditAccount {
  readonly roles: readonly Role[];
  readonly patientId: string | undefined;
  readonly disabled: boolean;
}

const TYPE = 'AuditEvent';
const NOT_AN_AUDITOR = 'The audit trail is for auditors (accounts with the admin role) and, about their own records, for account holders';

/**
 * The audit trail a FHIR request may read (`r` for a read, `s` for a search). The token's scopes
 * must allow AuditEvent at all (403 otherwise, as for every type); then an account with the admin
 * role (the auditor) sees every row through a `user/` scope; an account holder sees the rows about
 * her own Patient, through `user/` scopes or `patient/` scopes launched with that Patient. Anyone
 * else (a service, a practitioner, a patient/ scope launched for someone else) sees nothing: the
 * trail names who read a patient's records, which is the auditor's and the patient's to know.
 * Internal jobs (SystemScope) and the development switch see everything, as they do all data.
 */
export async function auditReachOf(scope: AccessScope, permission: 'r' | 's', account: (id: string) => Promise<AuditAccount | undefined>): Promise<AuditReach> {
  requirePermission(scope, permission, TYPE);
  const rule = scope.read;
  if (rule.kind === 'all') return { kind: 'every-event', acting: undefined };
  if (rule.kind === 'none') throw new FhirkeepError('forbidden', NOT_AN_AUDITOR);
  const { principal } = scope;
  const accountId = principal.kind === 'token' || principal.kind === 'account' ? principal.accountId : undefined;
  const holder = accountId === undefined ? undefined : await account(accountId);
  if (holder === undefined || holder.disabled) throw new FhirkeepError('forbidden', NOT_AN_AUDITOR);
  const smart = rule.kind === 'smart' ? rule : rule.smart;
  // A granular scope's filter is a search on the resources table, which AuditEvents are not in:
  // rather than widen it by ignoring the filter, such a scope reaches no row.
  const grants = (smart.types.get(TYPE) ?? []).filter((g: SmartGrant) => g.permissions.has(permission) && g.filter === undefined);
  if (grants.length === 0) throw new FhirkeepError('forbidden', 'Granular scopes (with a search) do not reach the audit trail');
  const acting = rule.kind === 'consented' ? rule.reach : undefined;
  const userLevel = grants.some((g) => !g.patientOnly);
  if (userLevel && holder.roles.includes('admin')) return { kind: 'every-event', acting };
  const own = holder.patientId;
  if (own === undefined) throw new FhirkeepError('forbidden', NOT_AN_AUDITOR);
  // patient/ scopes reach the launch patient; her trail is hers alone, not every reader's of her records.
  if (!userLevel && smart.patient !== own) throw new FhirkeepError('forbidden', "A patient/ scope reaches the audit trail only of the signed-in holder's own Patient");
  return { kind: 'patient', patientId: own, acting };
}

/** The account holder's own trail on Fhirkeep's pages and API (her session, no application between). */
export function holderAuditReach(account: { readonly patientId: string | undefined }): AuditReach {
  if (account.patientId === undefined) throw new FhirkeepError('forbidden', 'Only an account holder with a Patient record has an access log');
  return { kind: 'patient', patientId: account.patientId, acting: undefined };
}
