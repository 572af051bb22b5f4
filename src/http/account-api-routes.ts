import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Account } from '../auth/accounts/account.js';
import type { AccountService } from '../auth/accounts/account-service.js';
import type { Membership } from '../auth/accounts/organization.js';
import { changePasswordEverywhere } from '../auth/accounts/password-change.js';
import type { SessionService } from '../auth/sessions/session-service.js';
import { sendApiError } from './client-api-routes.js';
import { parseBody } from './json-body.js';

export interface AccountApiOptions {
  readonly accounts: Pick<AccountService, 'changePassword' | 'organizationsOf'>;
  readonly sessions: Pick<SessionService, 'startAlone'>;
  /** The signed-in account of the request's session, or a FhirkeepError (`unauthorized`, 401). */
  readonly authenticate: (request: FastifyRequest) => Promise<Account>;
}

const passwordBody = z.object({ current_password: z.string(), new_password: z.string() }).strict();

/** The signed-in account as `GET /api/account` answers it (the portal's account page shows the same). */
export function accountView(account: Account, memberships: readonly Membership[]): Record<string, unknown> {
  return {
    id: account.id,
    email: account.email,
    ...(account.displayName === undefined ? {} : { display_name: account.displayName }),
    roles: account.roles,
    ...(account.patientId === undefined ? {} : { patient_id: account.patientId }),
    ...(account.practitionerId === undefined ? {} : { practitioner_id: account.practitionerId }),
    organizations: memberships.map((m) => ({
      id: m.organization.id,
      name: m.organization.name,
      kind: m.organization.kind,
      ...(m.organization.parentId === undefined ? {} : { parent_id: m.organization.parentId }),
      role: m.role,
    })),
  };
}

/**
 * `/api/account` (docs/portal/portal-account.md): the signed-in account, about itself only. A
 * password change ends every session of the account and answers this browser's new session
 * cookie, as the portal's form does.
 */
export function registerAccountApiRoutes(app: FastifyInstance, { accounts, sessions, authenticate }: AccountApiOptions): void {
  app.get('/api/account', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const account = await authenticate(request);
      const body = accountView(account, await accounts.organizationsOf(account.id));
      return await reply.status(200).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  });

  app.put('/api/account/password', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const account = await authenticate(request);
      const b = parseBody(request, passwordBody);
      const cookie = await changePasswordEverywhere({ accounts, sessions }, account.id, { current: b.current_password, next: b.new_password }, { ip: request.ip, cookieHeader: request.headers.cookie });
      return await reply.status(204).header('cache-control', 'no-store').header('set-cookie', cookie).send();
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  });
}
