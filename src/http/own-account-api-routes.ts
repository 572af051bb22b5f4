import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Account } from '../auth/accounts/account.js';
import type { AccountService } from '../auth/accounts/account-service.js';
import { changePasswordEverywhere } from '../auth/accounts/password-change.js';
import type { SessionService } from '../auth/sessions/session-service.js';
import { accountView, membershipView } from './account-api-routes.js';
import { sendApiError } from './client-api-routes.js';
import { parseBody } from './json-body.js';

export interface OwnAccountApiOptions {
  readonly accounts: Pick<AccountService, 'changePassword' | 'organizationsOf'>;
  readonly sessions: Pick<SessionService, 'startAlone'>;
  /** The signed-in account of the request's session, or a FhirkeepError (`unauthorized`, 401). */
  readonly authenticate: (request: FastifyRequest) => Promise<Account>;
}

const passwordBody = z.object({ current_password: z.string(), new_password: z.string() }).strict();

/**
 * `/api/account` (docs/portal/portal-account.md): the signed-in account, about itself only, in the
 * shape `GET /api/users/:user` gives an admin. A password change ends every session of the
 * account and answers this browser's new session cookie, as the portal's form does.
 */
export function registerOwnAccountApiRoutes(app: FastifyInstance, { accounts, sessions, authenticate }: OwnAccountApiOptions): void {
  app.get('/api/account', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const account = await authenticate(request);
      const body = { ...accountView(account), organizations: (await accounts.organizationsOf(account.id)).map(membershipView) };
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
