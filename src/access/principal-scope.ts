import type { RegisteredClient } from '../auth/clients/client.js';
import type { RevocationView } from '../auth/tokens/revocation-view.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { Principal } from './principal.js';
import { devOpenScope, type AccessScope } from './scope.js';
import type { ScopeSubject } from './token-scope.js';

export interface PrincipalScopeDeps {
  /** FHIRKEEP_DEV_NO_AUTH as it is now: an export asked for without credentials runs only while it is on. */
  readonly devNoAuth: boolean;
  readonly client: (id: string) => Promise<RegisteredClient | undefined>;
  readonly revocations: Pick<RevocationView, 'isRevoked' | 'isKeyRevoked'>;
  /** Whether an account may still act (exists and is not disabled). */
  readonly accountActive: (accountId: string) => Promise<boolean>;
  /** As the request scope's: the organization a broker may act for; throws while it may not. */
  readonly actingFor: (brokerClientId: string, organization: string) => Promise<string>;
  /** As the request scope's: the study a research partner is authorized for; throws while it is not. */
  readonly studyFor: (researchClientId: string, study: string) => Promise<string>;
  /** An HIE user's scope from their profiles now; throws for a disabled or deactivated account, or a revoked (or unknown) client. */
  readonly hie: (accountId: string, clientId: string) => Promise<AccessScope>;
  readonly scopeOf: (subject: ScopeSubject, client: RegisteredClient | undefined, organizationId: string | undefined, studyId?: string) => Promise<AccessScope>;
}

/**
 * The scope a request made by `principal` would run in now (docs/bulk-export.md): how a queued
 * export runs in its requester's scope without keeping their token. Everything a request's
 * credential is checked for is checked again — the grant or key not revoked, the client still
 * registered, the account enabled, a broker's organization and a partner's study still
 * authorized — and filters, consents and catchments are compiled as they are now. Throws a
 * FhirkeepError (the job fails with it) when the requester may no longer read.
 */
export async function principalScope(principal: Principal, deps: PrincipalScopeDeps): Promise<AccessScope> {
  switch (principal.kind) {
    case 'token':
    case 'key': {
      const { clientId } = principal;
      const accountId = principal.kind === 'token' ? principal.accountId : undefined;
      const revoked =
        principal.kind === 'token'
          ? deps.revocations.isRevoked({ gid: principal.grantId, client_id: clientId, account: accountId })
          : deps.revocations.isKeyRevoked({ id: principal.keyId, clientId });
      if (revoked) throw new FhirkeepError('unauthorized', `The ${principal.kind === 'token' ? 'access grant' : 'API key'} this export was asked with has been revoked`);
      if (accountId !== undefined && !(await deps.accountActive(accountId))) throw new FhirkeepError('unauthorized', 'The account this export was asked for is disabled');
      const organizationId = principal.organizationId === undefined ? undefined : await deps.actingFor(clientId, principal.organizationId);
      const studyId = principal.studyId === undefined ? undefined : await deps.studyFor(clientId, principal.studyId);
      const subject: ScopeSubject =
        principal.kind === 'key'
          ? { kind: 'key', keyId: principal.keyId, clientId }
          : {
              kind: 'token',
              claims: {
                client_id: clientId,
                scope: principal.scopes.join(' '),
                gid: principal.grantId,
                ...(accountId === undefined ? {} : { account: accountId }),
                ...(principal.patient === undefined ? {} : { patient: principal.patient }),
                ...(principal.fhirUser === undefined ? {} : { fhirUser: principal.fhirUser }),
              },
            };
      return deps.scopeOf(subject, await deps.client(clientId), organizationId, studyId);
    }
    case 'hie':
      return deps.hie(principal.accountId, principal.clientId);
    case 'dev-anonymous':
      if (!deps.devNoAuth) throw new FhirkeepError('unauthorized', 'This export was asked for without credentials, which this server no longer accepts');
      return devOpenScope();
    default:
      throw new FhirkeepError('forbidden', `A ${principal.kind} principal does not export`);
  }
}
