import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccountService } from '../auth/accounts/account-service.js';
import { handOverManagement } from '../auth/keys/hand-over.js';
import { keyActorFor, type KeyActor, type KeyService } from '../auth/keys/key-service.js';
import { KEY_TYPES, keyView } from '../auth/keys/service-key.js';
import { sendApiError, type ApiCaller } from './client-api-routes.js';
import { parseBody } from './json-body.js';

export interface KeyApiOptions {
  readonly keys: KeyService;
  /** Finds the account a manager hand-over names by id or email. */
  readonly accounts: Pick<AccountService, 'find' | 'findByEmail'>;
  /** Resolves the caller from the session cookie, or throws a FhirkeepError (`unauthorized`, 401). */
  readonly authenticate: (request: FastifyRequest) => Promise<ApiCaller>;
  /** Fhirkeep's CA certificate (PEM), public: what mTLS clients trust for the listener's certificate. */
  readonly caCertificate: () => Promise<string>;
}

// The name's length is the key service's rule (one place for the API and the CLI).
const createBody = z.object({ type: z.enum(KEY_TYPES), name: z.string().optional() }).strict();
const certificateBody = z.object({ csr: z.string().min(1) }).strict();
const managerBody = z
  .object({ account: z.string().min(1).optional(), organization: z.string().min(1).optional() })
  .strict()
  .refine((b) => (b.account === undefined) !== (b.organization === undefined), { message: 'give exactly one of account or organization' });

type Request = FastifyRequest<{ Params: { id?: string; keyId?: string } }>;
type Reply = { readonly status?: number; readonly body: unknown; readonly location?: string };

/**
 * A service's API keys and who manages them (docs/service-keys.md, "Managing keys"). Whether the
 * caller may is the key service's decision: the service's manager (an account, or any member of
 * the managing organization or team) or an admin; anyone else gets 403, whatever their roles.
 */
export function registerKeyApiRoutes(app: FastifyInstance, { keys, accounts, authenticate, caCertificate }: KeyApiOptions): void {
  // Public: a CA certificate is what everyone may know (no session needed to trust the listener).
  app.get('/api/certificate-authority', async (request, reply) => {
    try {
      return await reply.header('cache-control', 'public, max-age=3600').type('application/json; charset=utf-8').send(JSON.stringify({ certificate: await caCertificate() }));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  });

  const route = (handler: (request: Request, actor: KeyActor) => Promise<Reply>) => async (request: Request, reply: FastifyReply) => {
    try {
      const caller = await authenticate(request);
      const { status = 200, body, location } = await handler(request, keyActorFor(caller));
      // A new key's secret is in the answer, once: no cache may keep it (nor key lists).
      reply.status(status).header('cache-control', 'no-store');
      if (location !== undefined) reply.header('location', location);
      return await reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };
  const clientId = (request: Request) => request.params.id ?? '';
  const keyId = (request: Request) => request.params.keyId ?? '';

  app.post(
    '/api/clients/:id/keys',
    route(async (request, actor) => {
      const b = parseBody(request, createBody);
      const { key, secret } = await keys.create(clientId(request), { type: b.type, name: b.name }, actor);
      return { status: 201, location: `/api/keys/${key.id}`, body: { ...keyView(key), ...(secret === undefined ? {} : { secret }) } };
    }),
  );

  app.get(
    '/api/clients/:id/keys',
    route(async (request, actor) => ({ body: { keys: (await keys.list(clientId(request), actor)).map(keyView) } })),
  );

  app.delete(
    '/api/keys/:keyId',
    route(async (request, actor) => ({ body: keyView(await keys.revoke(keyId(request), actor)) })),
  );

  app.post(
    '/api/keys/:keyId/certificate',
    route(async (request, actor) => {
      const { csr } = parseBody(request, certificateBody);
      const signed = await keys.signCertificate(keyId(request), csr, actor);
      return {
        body: {
          certificate: signed.pem,
          ca_certificate: signed.caPem,
          serial: signed.serial,
          not_after: signed.notAfter.toISOString(),
          'x5t#S256': signed.thumbprint,
        },
      };
    }),
  );

  // The services a member of a managing team reaches only here: the client API lists owners' clients.
  app.get(
    '/api/managed-clients',
    route(async (_request, actor) => ({
      body: { clients: (await keys.managedBy(actor)).map((c) => ({ client_id: c.id, client_name: c.name, type: c.type, revoked: c.revoked })) },
    })),
  );

  app.get(
    '/api/clients/:id/manager',
    route(async (request, actor) => ({ body: await keys.managerOf(clientId(request), actor) })),
  );

  app.put(
    '/api/clients/:id/manager',
    route(async (request, actor) => {
      const b = parseBody(request, managerBody);
      const to = b.account === undefined ? { organization: b.organization ?? '' } : { account: b.account };
      return { body: await handOverManagement(keys, accounts, clientId(request), to, actor) };
    }),
  );
}
