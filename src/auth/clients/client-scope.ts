import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ClientScope } from './client-registry.js';

/** Who manages applications: an account id and its roles (the API's caller, the portal's account). */
export interface ClientCaller {
  readonly accountId: string;
  readonly roles: readonly string[];
}

/**
 * The clients a caller may reach, one rule for the JSON API and the portal: an admin every
 * client, a developer those they own; anyone else none (`forbidden`).
 */
export function clientScopeFor(caller: ClientCaller): ClientScope {
  if (caller.roles.includes('admin')) return {};
  if (caller.roles.includes('developer')) return { ownerAccount: caller.accountId };
  throw new FhirkeepError('forbidden', 'Managing clients needs the developer or admin role');
}
