import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { studyGrantView, type StudyGrants } from '../access/studies/study-grants.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { sendApiError, type ApiCaller } from './client-api-routes.js';
import { parseBody } from './json-body.js';

export interface StudyApiOptions {
  readonly studies: StudyGrants;
  /** Resolves the caller, or throws a FhirkeepError (`unauthorized`, 401) when there is none. */
  readonly authenticate: (request: FastifyRequest) => Promise<ApiCaller>;
}

/** A ResearchStudy's id, or `system|value` of its identifier. */
const grantBody = z.object({ study: z.string().min(1).max(1024) }).strict();

type Request = FastifyRequest<{ Params: { id: string; '*'?: string } }>;

/**
 * `/api/clients/{id}/studies` (docs/research.md): which research studies a research partner may
 * query; `/api/studies/{study}`: the study an id or `system|value` names. Admins only: a study grant opens patients' records to a third party, which is no
 * developer's decision about their own client.
 */
export function registerStudyApiRoutes(app: FastifyInstance, { studies, authenticate }: StudyApiOptions): void {
  const route = (handler: (request: Request, caller: ApiCaller) => Promise<{ status?: number; body: unknown }>) => async (request: Request, reply: FastifyReply) => {
    try {
      const caller = await authenticate(request);
      if (!caller.roles.includes('admin')) throw new FhirkeepError('forbidden', 'Authorizing research partners for studies needs the admin role');
      const { status = 200, body } = await handler(request, caller);
      return await reply.status(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };

  app.get(
    '/api/clients/:id/studies',
    route(async (request) => ({ body: { grants: (await studies.list(request.params.id)).map(studyGrantView) } })),
  );
  app.post(
    '/api/clients/:id/studies',
    route(async (request, caller) => ({ status: 201, body: studyGrantView(await studies.grant(request.params.id, parseBody(request, grantBody).study, caller.accountId)) })),
  );
  // The study may be an identifier whose system is a URL: everything after /studies/ names it.
  // Read-only: which study a grant would name (the admin portal checks its form as one types).
  app.get('/api/studies/*', route(async (request) => ({ body: { study_id: await studies.find(request.params['*'] ?? '') } })));
  app.delete(
    '/api/clients/:id/studies/*',
    route(async (request, caller) => ({ body: { revoked: (await studies.revoke(request.params.id, request.params['*'] ?? '', caller.accountId)).map(studyGrantView) } })),
  );
}
