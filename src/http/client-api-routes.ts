import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WRITE_MODES } from '../access/filter/access-filter.js';
import { accessFilterJson, checkedFilterJson, type AccessFilterService } from '../access/filter/filter-service.js';
import { filterFromText } from '../access/filter/parse-filter.js';
import { CLIENT_TYPES, clientView } from '../auth/clients/client.js';
import type { ClientRegistry, ClientScope } from '../auth/clients/client-registry.js';
import { clientScopeFor } from '../auth/clients/client-scope.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { parseBody } from './json-body.js';
import { sendOutcome } from './send-outcome.js';

/** Who calls the admin API (the lead's bearer or session authentication resolves it). */
export interface ApiCaller {
  readonly accountId: string;
  readonly roles: readonly string[];
}

export interface ClientApiOptions {
  readonly registry: ClientRegistry;
  readonly accessFilters: AccessFilterService;
  /** Resolves the caller, or throws a FhirkeepError (`unauthorized`, 401) when there is none. */
  readonly authenticate: (request: FastifyRequest) => Promise<ApiCaller>;
}

const createBody = z
  .object({
    type: z.enum(CLIENT_TYPES),
    client_name: z.string(),
    redirect_uris: z.array(z.string()).optional(),
    public: z.boolean().optional(),
    jwks: z.record(z.unknown()).optional(),
    jwks_uri: z.string().optional(),
    scope: z.string().optional(),
    launch_uri: z.string().optional(),
    require_pkce: z.boolean().optional(),
    owner_account: z.string().min(1).optional(),
  })
  .strict();

/** A partial edit; null removes an optional value. Type, public and the credential kind are fixed. */
const updateBody = z
  .object({
    client_name: z.string().optional(),
    redirect_uris: z.array(z.string()).optional(),
    scope: z.string().optional(),
    jwks: z.record(z.unknown()).nullable().optional(),
    jwks_uri: z.string().nullable().optional(),
    launch_uri: z.string().nullable().optional(),
  })
  .strict();

/** docs/access-filters.md: the whole setting is replaced; `reach` only by an admin (absent: unchanged). */
const filterBody = z
  .object({
    filter: z.record(z.unknown()).nullable(),
    write_mode: z.enum(WRITE_MODES),
    reach: z.enum(['consented', 'all']).optional(),
    logout_users: z.boolean().optional(),
  })
  .strict();

/**
 * A filter to check without saving: the JSON (`filter`), or the expert editor's text as typed
 * (`filter_text`, so its syntax errors are reported where they are); write mode and reach absent:
 * the client's current ones.
 */
const checkBody = z
  .object({
    filter: z.record(z.unknown()).nullable().optional(),
    filter_text: z.string().optional(),
    write_mode: z.enum(WRITE_MODES).optional(),
    reach: z.enum(['consented', 'all']).optional(),
  })
  .strict()
  .refine((b) => (b.filter === undefined) !== (b.filter_text === undefined), { message: 'give filter or filter_text (one of them)' });

type Reply = { readonly status?: number; readonly body: unknown; readonly location?: string };
/** `scope`: the clients the caller may reach (a developer's own; every client for an admin). */
type Handler = (request: FastifyRequest<{ Params: { id?: string } }>, caller: ApiCaller, scope: ClientScope) => Promise<Reply>;

/**
 * `/api/clients`: the JSON admin/developer API for applications (docs/authorization.md). Admins
 * see and manage every client; developers only those they own; anyone else gets 403. Another
 * developer's client is answered as missing (404), so ids cannot be probed. Errors are
 * OperationOutcomes (sendApiError) with the error table's status.
 */
export function registerClientApiRoutes(app: FastifyInstance, { registry, accessFilters, authenticate }: ClientApiOptions): void {
  const route = (handler: Handler) => async (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => {
    try {
      const caller = await authenticate(request);
      const scope = clientScopeFor(caller);
      const { status = 200, body, location } = await handler(request, caller, scope);
      // Client metadata, and secrets once, must not be kept by caches (RFC 6749 §5.1 for secrets).
      reply.status(status).header('cache-control', 'no-store');
      if (location !== undefined) reply.header('location', location);
      return await reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };

  app.get(
    '/api/clients',
    route(async (_request, _caller, scope) => {
      const clients = await registry.list(scope);
      return { body: { clients: clients.map(clientView) } };
    }),
  );

  app.post(
    '/api/clients',
    route(async (request, caller, scope) => {
      const b = parseBody(request, createBody);
      if (scope.ownerAccount !== undefined && b.owner_account !== undefined && b.owner_account !== scope.ownerAccount) {
        throw new FhirkeepError('forbidden', 'A developer registers clients for their own account only');
      }
      const { client, secret } = await registry.register(
        {
          type: b.type,
          name: b.client_name,
          redirectUris: b.redirect_uris ?? [],
          isPublic: b.public ?? false,
          ...(b.jwks === undefined ? {} : { jwks: b.jwks }),
          ...(b.jwks_uri === undefined ? {} : { jwksUri: b.jwks_uri }),
          scopes: splitScope(b.scope),
          ...(b.launch_uri === undefined ? {} : { launchUri: b.launch_uri }),
          ...(b.require_pkce === undefined ? {} : { requirePkce: b.require_pkce }),
          ownerAccount: b.owner_account ?? caller.accountId,
        },
        caller.accountId,
      );
      return { status: 201, location: `/api/clients/${client.id}`, body: { ...clientView(client), ...(secret === undefined ? {} : { client_secret: secret }) } };
    }),
  );

  app.get(
    '/api/clients/:id',
    route(async (request, _caller, scope) => {
      const client = await registry.find(request.params.id ?? '', scope);
      if (client === undefined) throw new FhirkeepError('not-found', `There is no client ${request.params.id ?? ''}`);
      return { body: clientView(client) };
    }),
  );

  app.patch(
    '/api/clients/:id',
    route(async (request, caller, scope) => {
      const b = parseBody(request, updateBody);
      // One client read: the registry answers a client outside the caller's scope as missing.
      const updated = await registry.update(
        request.params.id ?? '',
        {
          ...(b.client_name === undefined ? {} : { name: b.client_name }),
          ...(b.redirect_uris === undefined ? {} : { redirectUris: b.redirect_uris }),
          ...(b.scope === undefined ? {} : { scopes: splitScope(b.scope) }),
          ...(b.jwks === undefined ? {} : { jwks: b.jwks }),
          ...(b.jwks_uri === undefined ? {} : { jwksUri: b.jwks_uri }),
          ...(b.launch_uri === undefined ? {} : { launchUri: b.launch_uri }),
        },
        caller.accountId,
        scope,
      );
      return { body: clientView(updated) };
    }),
  );

  app.delete(
    '/api/clients/:id',
    route(async (request, caller, scope) => ({ body: clientView(await registry.revoke(request.params.id ?? '', caller.accountId, scope)) })),
  );

  app.get(
    '/api/clients/:id/filter',
    route(async (request, _caller, scope) => ({ body: accessFilterJson(await accessFilters.get(request.params.id ?? '', scope)) })),
  );

  app.put(
    '/api/clients/:id/filter',
    route(async (request, caller, scope) => {
      const b = parseBody(request, filterBody);
      const saved = await accessFilters.setAccessFilter(
        request.params.id ?? '',
        { filter: b.filter, writeMode: b.write_mode, ...(b.reach === undefined ? {} : { reach: b.reach }), ...(b.logout_users === undefined ? {} : { logoutUsers: b.logout_users }) },
        caller.accountId,
        scope,
      );
      return { body: { ...accessFilterJson(saved), revoked_grants: saved.revokedGrants } };
    }),
  );

  app.post(
    '/api/clients/:id/filter/check',
    route(async (request, _caller, scope) => {
      const b = parseBody(request, checkBody);
      const checked = await accessFilters.check(
        request.params.id ?? '',
        {
          filter: b.filter_text === undefined ? b.filter : filterFromText(b.filter_text),
          ...(b.write_mode === undefined ? {} : { writeMode: b.write_mode }),
          ...(b.reach === undefined ? {} : { reach: b.reach }),
        },
        scope,
      );
      return { body: checkedFilterJson(checked) };
    }),
  );

  app.post(
    '/api/clients/:id/secret',
    route(async (request, caller, scope) => {
      const { client: rotated, secret } = await registry.rotateSecret(request.params.id ?? '', caller.accountId, scope);
      return { body: { ...clientView(rotated), client_secret: secret } };
    }),
  );
}

function splitScope(scope: string | undefined): string[] {
  // RFC 6749 §3.3: scopes are space-delimited.
  return scope === undefined ? [] : scope.split(' ').filter((s) => s !== '');
}

/** An /api error: `{"error": code, "error_description": message}` with the error table's status. */
export function sendApiError(request: FastifyRequest, reply: FastifyReply, e: unknown): FastifyReply {
  const error = e instanceof FhirkeepError ? e : new FhirkeepError('internal', 'The server could not complete the request', { cause: e });
  if (error.code === 'internal') request.log.error({ err: e }, 'unexpected error in the admin API');
  // One refusal format for every /api route (the consent API's too): an OperationOutcome.
  reply.header('cache-control', 'no-store');
  sendOutcome(reply, error, 'application/json');
  return reply;
}
