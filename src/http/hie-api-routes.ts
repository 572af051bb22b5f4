import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hieAccountView, hieClientView } from '../auth/dialects/hie/admin-views.js';
import type { HieService } from '../auth/dialects/hie/hie-service.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { sendApiError, type ApiCaller } from './client-api-routes.js';
import { parseBody } from './json-body.js';

export interface HieApiOptions {
  readonly hie: HieService;
  /** Resolves the caller, or throws a FhirkeepError (`unauthorized`, 401) when there is none. */
  readonly authenticate: (request: FastifyRequest) => Promise<ApiCaller>;
}

const newClientBody = z.object({ organization_id: z.string() }).strict();
const profileBody = z.object({ type: z.string(), id: z.string(), catchment: z.array(z.string()).max(1000).optional() }).strict();
const activationBody = z.object({ activated: z.boolean() }).strict();

type Params = { client?: string; user?: string; type?: string; id?: string; group?: string };
type Reply = { readonly status?: number; readonly body?: unknown };

/**
 * The admin API of the HIE dialect (docs/hie.md), what the CLI does: organizations' client_id +
 * X-Auth-Token, and users' profiles, groups and activation (users by id or email). Admins only
 * (403 otherwise, 401 without the portal's session); errors are OperationOutcomes as on every
 * /api route.
 */
export function registerHieApiRoutes(app: FastifyInstance, { hie, authenticate }: HieApiOptions): void {
  const route = (handler: (request: FastifyRequest<{ Params: Params }>) => Promise<Reply>) => async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    try {
      const caller = await authenticate(request);
      if (!caller.roles.includes('admin')) throw new FhirkeepError('forbidden', 'Managing the HIE dialect needs the admin role');
      const { status = 200, body } = await handler(request);
      reply.status(status).header('cache-control', 'no-store');
      if (body === undefined) return await reply.send();
      return await reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };
  const user = (request: FastifyRequest<{ Params: Params }>) => request.params.user ?? '';
  const account = async (promise: Promise<Parameters<typeof hieAccountView>[0]>): Promise<Reply> => ({ body: hieAccountView(await promise) });

  app.get('/api/hie/clients', route(async () => ({ body: { clients: (await hie.clients.list()).map(hieClientView) } })));
  app.post(
    '/api/hie/clients',
    route(async (request) => {
      const { client, token } = await hie.clients.create(parseBody(request, newClientBody).organization_id);
      return { status: 201, body: { ...hieClientView(client), x_auth_token: token } };
    }),
  );
  app.delete(
    '/api/hie/clients/:client',
    route(async (request) => ({ body: hieClientView(await hie.clients.revoke(request.params.client ?? '')) })),
  );

  app.get('/api/users/:user/hie', route((request) => account(hie.accounts.find(user(request)))));
  app.put(
    '/api/users/:user/hie/profiles',
    route(async (request) => {
      const b = parseBody(request, profileBody);
      return account(hie.accounts.putProfile(user(request), { type: b.type, id: b.id, catchments: b.catchment ?? [] }));
    }),
  );
  app.delete('/api/users/:user/hie/profiles/:type/:id', route((request) => account(hie.accounts.removeProfile(user(request), request.params.type ?? '', request.params.id ?? ''))));
  app.put('/api/users/:user/hie/groups/:group', route((request) => account(hie.accounts.addGroup(user(request), request.params.group ?? ''))));
  app.delete('/api/users/:user/hie/groups/:group', route((request) => account(hie.accounts.removeGroup(user(request), request.params.group ?? ''))));
  app.put('/api/users/:user/hie/activation', route((request) => account(hie.accounts.setActivated(user(request), parseBody(request, activationBody).activated))));
}
