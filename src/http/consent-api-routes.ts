import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CONSENT_KINDS, CONSENT_STATUSES, GRANT_STATUSES } from '../access/consents/consent.js';
import type { ConsentGrantInput } from '../access/consents/consent-input.js';
import { changeStatus, findManaged, grantAs, listVisible } from '../access/consents/consent-actions.js';
import type { ConsentCaller } from '../access/consents/consent-permissions.js';
import type { ConsentService } from '../access/consents/consent-service.js';
import { consentView } from '../access/consents/consent-view.js';
import { checkInput, parseBody } from './json-body.js';
import { sendApiError } from './client-api-routes.js';

export interface ConsentApiOptions {
  readonly consents: ConsentService;
  /** Resolves the caller from the session cookie, or throws a FhirkeepError (`unauthorized`, 401). */
  readonly authenticate: (request: FastifyRequest) => Promise<ConsentCaller>;
}

const id = z.string().min(1);
const listQuery = z.object({ account: id.optional(), client: id.optional(), organization: id.optional() }).strict();
const grantBody = z
  .object({
    kind: z.enum(CONSENT_KINDS).optional(),
    account: id.optional(),
    organization: id.optional(),
    client: id.optional(),
    status: z.enum(GRANT_STATUSES).optional(),
    /** Space-separated SMART scopes (app/service). */
    scope: z.string().optional(),
  })
  .strict();
const statusBody = z.object({ status: z.enum(CONSENT_STATUSES) }).strict();

type Request = FastifyRequest<{ Params: { id?: string } }>;
type Reply = { readonly status?: number; readonly body: unknown; readonly type?: string; readonly location?: string };

/**
 * `/api/consents` (docs/consents.md): an account holder manages their own consents, an
 * organization's manager also the organization's, an admin every one. A consent the caller may
 * not manage is answered as missing (404). Errors are OperationOutcomes naming the field.
 */
export function registerConsentApiRoutes(app: FastifyInstance, { consents, authenticate }: ConsentApiOptions): void {
  const route = (handler: (request: Request, caller: ConsentCaller) => Promise<Reply>) => async (request: Request, reply: FastifyReply) => {
    try {
      const caller = await authenticate(request);
      const { status = 200, body, type = 'application/json', location } = await handler(request, caller);
      // Consents are health-privacy decisions: no shared cache may keep them.
      reply.status(status).header('cache-control', 'no-store');
      if (location !== undefined) reply.header('location', location);
      return await reply.type(`${type}; charset=utf-8`).send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };

  app.get(
    '/api/consents',
    route(async (request, caller) => {
      const q = checkInput(request.query, listQuery, 'query');
      const list = await listVisible(consents, caller, { accountId: q.account, clientId: q.client, organizationId: q.organization });
      return { body: { consents: list.map(consentView) } };
    }),
  );

  app.post(
    '/api/consents',
    route(async (request, caller) => {
      const b = parseBody(request, grantBody);
      // A holder names no account: theirs is meant, unless the consent is an organization's (broker).
      const organizationsConsent = b.kind === 'broker' || (b.kind === undefined && b.organization !== undefined && b.client !== undefined);
      const input: ConsentGrantInput = {
        kind: b.kind,
        accountId: b.account ?? (organizationsConsent ? undefined : caller.accountId),
        organizationId: b.organization,
        clientId: b.client,
        status: b.status,
        scopes: b.scope?.split(' ').filter((s) => s !== ''),
      };
      const consent = await grantAs(consents, caller, input);
      return { status: 201, location: `/api/consents/${consent.id}`, body: consentView(consent) };
    }),
  );

  app.get(
    '/api/consents/:id',
    route(async (request, caller) => ({ body: (await findManaged(consents, caller, request.params.id ?? '')).resource, type: 'application/fhir+json' })),
  );

  app.put(
    '/api/consents/:id',
    route(async (request, caller) => {
      const { status } = parseBody(request, statusBody);
      return { body: consentView(await changeStatus(consents, caller, request.params.id ?? '', status)) };
    }),
  );
}
