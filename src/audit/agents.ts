import type { Principal } from '../access/principal.js';

/** AuditEvent.agent as the trail stores it: the person, the application, and on whose behalf. */
export interface AuditAgents {
  readonly accountId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly onBehalfOf?: string | undefined;
  /** Why an internal job ran with everything in reach (a SystemScope's reason). */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

const NONE: AuditAgents = {};

/** The agents of a request's principal (src/access/principal.ts). */
export function agentsOf(principal: Principal): AuditAgents {
  switch (principal.kind) {
    case 'token':
      return { accountId: principal.accountId, clientId: principal.clientId, onBehalfOf: onBehalfOf(principal) };
    case 'key':
      return { clientId: principal.clientId, onBehalfOf: onBehalfOf(principal), detail: { key_id: principal.keyId } };
    case 'hie':
      return { accountId: principal.accountId, clientId: principal.clientId };
    case 'account':
      return { accountId: principal.accountId };
    case 'system':
      return { detail: { reason: principal.reason } };
    default:
      return NONE;
  }
}

function onBehalfOf(p: { readonly organizationId?: string; readonly studyId?: string }): string | undefined {
  if (p.organizationId !== undefined) return `Organization/${p.organizationId}`;
  return p.studyId === undefined ? undefined : `ResearchStudy/${p.studyId}`;
}
