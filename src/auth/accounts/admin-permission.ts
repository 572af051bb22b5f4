import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { Role } from './account.js';

/** Who manages accounts, organizations, the taxonomy, study grants and the HIE dialect: the admin API's and the admin pages' one rule. */
export const ADMIN_ROLES: readonly Role[] = ['admin'];

/** Throws `forbidden` unless the roles include admin; `action` says what was refused ("Managing users"). */
export function requireAdmin(roles: readonly string[], action: string): void {
  if (!ADMIN_ROLES.some((r) => roles.includes(r))) throw new FhirkeepError('forbidden', `${action} needs the admin role`);
}
