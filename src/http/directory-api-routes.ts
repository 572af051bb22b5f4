import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsentDirectory, DirectoryClient, DirectoryOrganization } from '../access/consents/consent-directory.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { sendApiError } from './client-api-routes.js';
import { checkInput } from './json-body.js';

export interface DirectoryApiOptions {
  readonly directory: ConsentDirectory;
  /** Any signed-in account; throws a FhirkeepError (`unauthorized`, 401) when there is none. */
  readonly authenticate: (request: FastifyRequest) => Promise<unknown>;
}

const searchQuery = z.object({ q: z.string().max(200).optional() }).strict();

const clientJson = (c: DirectoryClient) => ({ client_id: c.id, client_name: c.name, type: c.type, revoked: c.revoked, access: c.access });
const organizationJson = (o: DirectoryOrganization) => ({ id: o.id, name: o.name, kind: o.kind, ...(o.parent === undefined ? {} : { parent: o.parent }) });

type Request = FastifyRequest<{ Params: { id?: string } }>;

/**
 * `/api/directory` (docs/consents.md): what an account holder may consent to — the services they
 * may subscribe to, the organizations they may share with — and the names behind the ids of their
 * consents, for any signed-in account. Only what the consent page shows: names and access in
 * plain words.
 */
export function registerDirectoryApiRoutes(app: FastifyInstance, { directory, authenticate }: DirectoryApiOptions): void {
  const route = (handler: (request: Request) => Promise<unknown>) => async (request: Request, reply: FastifyReply) => {
    try {
      await authenticate(request);
      const body = await handler(request);
      return await reply.status(200).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };

  app.get(
    '/api/directory/services',
    route(async (request) => {
      const { entries, truncated } = await directory.services(checkInput(request.query, searchQuery, 'query').q);
      return { services: entries.map(clientJson), truncated };
    }),
  );
  app.get(
    '/api/directory/organizations',
    route(async (request) => {
      const { entries, truncated } = await directory.organizations(checkInput(request.query, searchQuery, 'query').q);
      return { organizations: entries.map(organizationJson), truncated };
    }),
  );
  app.get(
    '/api/directory/clients/:id',
    route(async (request) => {
      const found = await directory.client(request.params.id ?? '');
      if (found === undefined) throw new FhirkeepError('not-found', `There is no client ${request.params.id ?? ''}`);
      return clientJson(found);
    }),
  );
  app.get(
    '/api/directory/organizations/:id',
    route(async (request) => {
      const found = await directory.organization(request.params.id ?? '');
      if (found === undefined) throw new FhirkeepError('not-found', `There is no organization ${request.params.id ?? ''}`);
      return organizationJson(found);
    }),
  );
}
