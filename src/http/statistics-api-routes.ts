import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEFAULT_DAYS, type ClientStatistics } from '../audit/client-statistics.js';
import type { ClientScope } from '../auth/clients/client-registry.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { clientScopeFor } from '../auth/clients/client-scope.js';
import { sendApiError, type ApiCaller } from './client-api-routes.js';
import type { DebugRequests } from './debug-requests.js';
import { parseBody } from './json-body.js';

export interface StatisticsApiOptions {
  readonly statistics: ClientStatistics;
  readonly debug: DebugRequests;
  /** Resolves the caller, or throws a FhirkeepError (`unauthorized`, 401) when there is none. */
  readonly authenticate: (request: FastifyRequest) => Promise<ApiCaller>;
}

const debugBody = z
  .object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string()).optional(),
    body: z.string().optional(),
    organization: z.string().optional(),
  })
  .strict();

type Request = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string | string[] | undefined> }>;

/**
 * An application's request statistics and the API debugger (docs/portal/portal-stats.md), for
 * its owner developer or an admin; another developer's client is answered as missing (404), as
 * on every /api/clients/:id route.
 */
export function registerStatisticsApiRoutes(app: FastifyInstance, { statistics, debug, authenticate }: StatisticsApiOptions): void {
  const route = (handler: (request: Request, caller: ApiCaller, scope: ClientScope) => Promise<unknown>) => async (request: Request, reply: FastifyReply) => {
    try {
      const caller = await authenticate(request);
      const body = await handler(request, caller, clientScopeFor(caller));
      // Another application's answers, and the caller's statistics: not for caches.
      return await reply.status(200).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };

  app.get(
    '/api/clients/:id/statistics',
    route(async (request, _caller, scope) => statistics.read(request.params.id, scope, daysParam(request.query.days))),
  );

  app.post(
    '/api/clients/:id/debug-request',
    route(async (request, caller, scope) => {
      const b = parseBody(request, debugBody);
      return debug.run(request.params.id, scope, { method: b.method, path: b.path, headers: b.headers ?? {}, body: b.body, organization: b.organization }, { accountId: caller.accountId, ip: request.ip });
    }),
  );
}

/** `?days=N`: 1 to MAX_DAYS (the service checks the range), 30 when absent. */
export function daysParam(value: string | string[] | null | undefined): number {
  if (value === undefined || value === null || value === '') return DEFAULT_DAYS;
  if (Array.isArray(value) || !/^\d{1,4}$/.test(value)) throw new FhirkeepError('bad-request', 'days: a whole number of days');
  return Number(value);
}
