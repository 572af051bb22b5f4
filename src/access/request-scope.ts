import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { devOpenScope, type AccessScope } from './scope.js';

export interface RequestCredentials {
  readonly authorization: string | undefined;
}

/**
 * Builds the AccessScope of an incoming request. Until the authorization server exists, the
 * only way in is the explicit development switch; without it every data request is refused,
 * so a deployment can never serve data unauthenticated by accident.
 */
export function createScopeResolver(devNoAuth: boolean): (credentials: RequestCredentials) => AccessScope {
  return () => {
    if (devNoAuth) return devOpenScope();
    throw new FhirkeepError('unauthorized', 'Authentication is required (no authorization server is configured yet)', {
      headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep"' },
    });
  };
}
