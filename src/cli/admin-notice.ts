import type { AdminBootstrap } from '../auth/accounts/bootstrap-admin.js';

/** What `serve` prints about the bootstrap admin: banner lines, and the `admin` member of its --json document. */
export interface AdminNotice {
  readonly lines: readonly string[];
  readonly json: { readonly email: string; readonly password?: string } | undefined;
}

/**
 * CONTRACT.md, "First start": the admin login is printed once. A generated password goes to
 * stdout only (never to the log, which may be shipped elsewhere) and is not recoverable later.
 */
export function adminNotice(result: AdminBootstrap): AdminNotice {
  if (!result.created) return { lines: [], json: undefined };
  if (result.password === undefined) {
    return { lines: [`  admin login:          ${result.email} (password from FHIRKEEP_ADMIN_PASSWORD)`], json: { email: result.email } };
  }
  return {
    lines: [
      `  admin login:          ${result.email} / ${result.password}`,
      '                        (generated now and shown only this once: store it; set FHIRKEEP_ADMIN_PASSWORD to choose it)',
    ],
    json: { email: result.email, password: result.password },
  };
}
