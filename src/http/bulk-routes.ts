import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestCredentials } from '../access/request-scope.js';
import type { AccessScope } from '../access/scope.js';
import type { BulkExportService } from '../bulk/export-service.js';
import { FhirkeepError, isFhirkeepError } from '../errors/fhirkeep-error.js';
import type { FhirResponse } from '../rest/fhir-request.js';
import { RESEARCH_STUDY, requestCredentials } from './fhir-routes.js';
import { sendOutcome } from './send-outcome.js';
import { countForClient } from './statistics-hooks.js';

export interface BulkRoutesOptions {
  readonly bulk: BulkExportService;
  readonly resolveScope: (credentials: RequestCredentials) => Promise<AccessScope>;
}

/** What a download may be asked for as (Bulk Data IG: `application/fhir+ndjson`; the abbreviations and wildcards too). */
const NDJSON_ACCEPTED = /(^|,)\s*(application\/(fhir\+)?ndjson|application\/\*|\*\/\*)\s*(;|,|$)/i;

/**
 * The Bulk Data status and file URLs a kick-off hands out (docs/bulk-export.md): the same
 * credentials as any FHIR request, and only the requester of an export may see it.
 */
export function registerBulkRoutes(app: FastifyInstance, { bulk, resolveScope }: BulkRoutesOptions): void {
  const callerOf = async (request: FastifyRequest) => {
    const url = request.raw.url ?? '';
    const q = url.indexOf('?');
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const studies = query.getAll(RESEARCH_STUDY);
    const scope = await resolveScope(requestCredentials(request, studies));
    countForClient(request, scope.principal);
    const linkParams = new URLSearchParams(studies.map((s): [string, string] => [RESEARCH_STUDY, s]));
    return { principal: scope.principal, linkParams };
  };
  const answering = (work: (request: FastifyRequest<{ Params: Record<string, string> }>, reply: FastifyReply) => Promise<void>) =>
    async (request: FastifyRequest<{ Params: Record<string, string> }>, reply: FastifyReply): Promise<void> => {
      try {
        await work(request, reply);
      } catch (e) {
        if (!isFhirkeepError(e)) throw e;
        sendOutcome(reply, e);
      }
    };

  app.get<{ Params: Record<string, string> }>(
    '/fhir/bulk-status/:id',
    answering(async (request, reply) => {
      const { principal, linkParams } = await callerOf(request);
      send(reply, await bulk.status(request.params.id ?? '', principal, linkParams));
    }),
  );
  app.delete<{ Params: Record<string, string> }>(
    '/fhir/bulk-status/:id',
    answering(async (request, reply) => {
      const { principal } = await callerOf(request);
      send(reply, await bulk.cancel(request.params.id ?? '', principal));
    }),
  );
  app.get<{ Params: Record<string, string> }>(
    '/fhir/bulk-files/:id/:name',
    answering(async (request, reply) => {
      const accept = request.headers.accept;
      if (accept !== undefined && accept !== '' && !NDJSON_ACCEPTED.test(accept)) {
        throw new FhirkeepError('not-acceptable', `Export files are application/fhir+ndjson, not ${accept}`);
      }
      const { principal } = await callerOf(request);
      const file = await bulk.file(request.params.id ?? '', request.params.name ?? '', principal);
      await reply.status(200).type('application/fhir+ndjson').header('content-length', String(file.bytes)).send(file.stream);
    }),
  );
}

/** The manifest is plain JSON (Bulk Data IG); every other answer a FHIR OperationOutcome. */
function send(reply: FastifyReply, res: FhirResponse): void {
  reply.status(res.status).headers(res.headers);
  reply.type(res.status === 200 ? 'application/json; charset=utf-8' : 'application/fhir+json; charset=utf-8');
  reply.send(res.body === undefined ? undefined : res.body.kind === 'raw' ? res.body.text : JSON.stringify(res.body.value));
}
