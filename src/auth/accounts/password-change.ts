import type { SessionService } from '../sessions/session-service.js';
import type { AccountService } from './account-service.js';

export interface PasswordChangeDeps {
  readonly accounts: Pick<AccountService, 'changePassword'>;
  readonly sessions: Pick<SessionService, 'startAlone'>;
}

export interface PasswordChange {
  readonly current: string;
  readonly next: string;
}

/**
 * A password change as the portal page and `PUT /api/account/password` both make it: the
 * account service checks and stores the password, then every session of the account ends and
 * this browser gets a new one. Answers that session's Set-Cookie value.
 */
export async function changePasswordEverywhere(
  deps: PasswordChangeDeps,
  accountId: string,
  change: PasswordChange,
  from: { readonly ip: string; readonly cookieHeader: string | undefined },
): Promise<string> {
  await deps.accounts.changePassword(accountId, change.current, change.next, { ip: from.ip });
  return deps.sessions.startAlone(accountId, from.cookieHeader);
}
