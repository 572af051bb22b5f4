import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAccessLogQuery, type AccessLog } from '../audit/access-log.js';
import type { Account } from '../auth/accounts/account.js';
import { sendApiError } from './client-api-routes.js';

export interface AccessLogApiOptions {
  readonly accessLog: AccessLog;
  readonly limits: { readonly defaultCount: number; readonly maxCount: number };
  /** The signed-in account of the request's session, or a FhirkeepError (`unauthorized`, 401). */
  readonly authenticate: (request: FastifyRequest) => Promise<Account>;
}

/**
 * `GET /api/account/access-log` (docs/audit-reading.md): who accessed the signed-in holder's
 * records, newest first, paged (`cursor`), filtered by application (`client`) and days (`from`,
 * `to`). Her session only: an app holding her token reads the trail through FHIR, within its scopes.
 */
export function registerAccessLogApiRoutes(app: FastifyInstance, { accessLog, limits, authenticate }: AccessLogApiOptions): void {
  app.get('/api/account/access-log', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const account = await authenticate(request);
      const query = parseAccessLogQuery(new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : ''), limits);
      const body = await accessLog.page(account, query);
      return await reply.status(200).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  });
}
