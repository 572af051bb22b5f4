import { FhirkeepError, isFhirkeepError } from '../../errors/fhirkeep-error.js';
import type { AccountStore } from '../../storage/auth/account-store.js';
import { randomSecret } from '../random-secret.js';
import type { RecordSecurityEvent } from '../security-events.js';
import type { Account } from './account.js';
import { validateAccountInput } from './account-input.js';
import { hashPassword } from './passwords.js';

/** FHIRKEEP_ADMIN_EMAIL / FHIRKEEP_ADMIN_PASSWORD (config.admin). */
export interface AdminSettings {
  readonly email: string;
  /** Unset: a password is generated and returned once, for the start-up banner. */
  readonly password?: string | undefined;
}

export type AdminBootstrap =
  | { readonly created: false }
  | {
      readonly created: true;
      readonly email: string;
      /** Present only when generated: shown once, stored nowhere but as its hash. */
      readonly password?: string | undefined;
    };

/** 15 random bytes: 120 bits, 20 base64url characters, above the 12-character minimum. */
const GENERATED_PASSWORD_BYTES = 15;

/**
 * Makes the first admin account (CONTRACT.md, "First start") unless an admin exists. Idempotent:
 * every start calls it, and only the first one on an empty database creates anything; when two
 * nodes start at once, the store's lock lets exactly one of them create it.
 */
export async function bootstrapAdmin(
  deps: { readonly accounts: AccountStore; readonly record: RecordSecurityEvent },
  settings: AdminSettings,
): Promise<AdminBootstrap> {
  if (await deps.accounts.hasAdmin()) return { created: false };
  const generated = settings.password === undefined ? randomSecret(GENERATED_PASSWORD_BYTES) : undefined;
  const valid = validateAccountInput({ email: settings.email, password: settings.password ?? generated, roles: ['admin'] });
  let account: Account | undefined;
  try {
    account = await deps.accounts.insertFirstAdmin({
      ...valid,
      passwordHash: await hashPassword(valid.password as string),
    });
  } catch (e) {
    if (isFhirkeepError(e) && e.code === 'version-conflict') {
      throw new FhirkeepError(
        'version-conflict',
        `FHIRKEEP_ADMIN_EMAIL ${valid.email} belongs to an account without the admin role: set another email, or make an admin with \`fhirkeep user create --role admin\``,
        { cause: e },
      );
    }
    throw e;
  }
  if (account === undefined) return { created: false };
  deps.record({ kind: 'account-create', outcome: 'success', accountId: account.id, detail: { roles: account.roles, bootstrap: true } });
  return { created: true, email: account.email, password: generated };
}
