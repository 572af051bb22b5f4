import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { peerCertificate } from '../auth/mtls/peer-certificate.js';
import { anonymousScope, type AccessScope } from '../access/scope.js';
import type { RequestCredentials } from '../access/request-scope.js';
import { isFhirkeepError, FhirkeepError } from '../errors/fhirkeep-error.js';
import type { FhirMethod, FhirRequest, FhirResponse } from '../rest/fhir-request.js';
import type { FhirRouter } from '../rest/router.js';
import { mediaTypeOf, negotiate, fhirVersionOk, type ResponseType } from './negotiation.js';
import { sendOutcome } from './send-outcome.js';
import { headerText } from './header-text.js';
import { countForClient } from './statistics-hooks.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import { interactionOf } from '../audit/fhir-interaction.js';
import { RequestAudit, type AuditedRequest } from '../audit/request-audit.js';

const METHODS: readonly FhirMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** A research partner's study (docs/research.md): a credential's companion, not a FHIR parameter. */
export const RESEARCH_STUDY = 'researchstudy';

export interface FhirRoutesOptions {
  readonly router: FhirRouter;
  readonly resolveScope: (credentials: RequestCredentials) => Promise<AccessScope>;
  /** The scope of a request without any credentials that needs none (terminology reads), if any. */
  readonly publicRead?: (method: string, path: string) => AccessScope | undefined;
  /** Where a request refused before routing (a bad credential: 401) is audited; routed ones audit in the router. */
  readonly audit?: Pick<AuditTrail, 'record'>;
}

/** The Fastify adapter for the FHIR router: negotiation and transport only, no FHIR logic. */
export function registerFhirRoutes(app: FastifyInstance, { router, resolveScope, publicRead, audit }: FhirRoutesOptions): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    let responseType: ResponseType;
    try {
      responseType = negotiate(query.get('_format'), request.headers.accept);
    } catch (e) {
      return sendOutcome(reply, e as FhirkeepError);
    }
    const path = decodePath((q < 0 ? url : url.slice(0, q)).replace(/^\/fhir\/?/, '').replace(/\/+$/, ''));
    if (path === undefined) return sendOutcome(reply, new FhirkeepError('bad-request', 'The URL path is not valid percent-encoding'), responseType);
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !fhirVersionOk(contentType)) {
      return sendOutcome(reply, new FhirkeepError('unsupported-media-type', `Only FHIR R4 (fhirVersion=4.0) bodies are accepted`), responseType);
    }
    // Taken out before the router sees the query, so no search or operation mistakes it for one of
    // its own parameters; the links the answer hands out carry it again, so paging keeps working.
    const researchStudies = query.getAll(RESEARCH_STUDY);
    query.delete(RESEARCH_STUDY);
    const method = request.method as FhirMethod;
    const origin = { requestId: request.id, ip: request.ip };
    let scope: AccessScope | undefined;
    if (!(path === 'metadata' && request.method === 'GET')) {
      try {
        const credentials = requestCredentials(request, researchStudies);
        const none = credentials.authorization === undefined && credentials.certificate === undefined && credentials.xAuthToken === undefined;
        scope = (none ? publicRead?.(request.method, path) : undefined) ?? (await resolveScope(credentials));
        countForClient(request, scope.principal);
      } catch (e) {
        if (!isFhirkeepError(e)) throw e;
        await auditRefusal(audit, { method, path, query, body: undefined, contentType: undefined, origin, principal: { kind: 'anonymous' } }, e);
        return sendOutcome(reply, e, responseType);
      }
    }
    const fhirRequest: FhirRequest = {
      method,
      path,
      query,
      body: typeof request.body === 'string' ? request.body : undefined,
      contentType: contentType === undefined ? undefined : mediaTypeOf(contentType),
      headers: {
        ...header(request, 'if-match', 'ifMatch'),
        ...header(request, 'if-none-match', 'ifNoneMatch'),
        ...header(request, 'if-none-exist', 'ifNoneExist'),
        ...header(request, 'if-modified-since', 'ifModifiedSince'),
        ...header(request, 'prefer', 'prefer'),
      },
      // metadata is public and reads no clinical data, so it needs no scope (SMART App Launch §2.1).
      scope: scope ?? anonymousScope(),
      origin,
      ...(researchStudies.length === 0 ? {} : { linkParams: new URLSearchParams(researchStudies.map((v): [string, string] => [RESEARCH_STUDY, v])) }),
    };
    send(reply, await router.handle(fhirRequest), responseType);
  };
  app.route({ method: [...METHODS], url: '/fhir', handler });
  app.route({ method: [...METHODS], url: '/fhir/*', handler });
}

/**
 * A request refused before it reached the router (no or a bad credential) is audited as refused.
 * Its body is left unread: the caller is unknown, and nothing it sent past the URL is recorded.
 */
async function auditRefusal(audit: FhirRoutesOptions['audit'], req: AuditedRequest, error: FhirkeepError): Promise<void> {
  const interaction = audit === undefined ? undefined : interactionOf(req.method, req.path);
  if (audit === undefined || interaction === undefined) return;
  const row = new RequestAudit(req, interaction).finish(error.status, error.code);
  if (row !== undefined) await audit.record(row);
}

/** The credentials a request carries, in every dialect (src/access/request-scope.ts). */
export function requestCredentials(request: FastifyRequest, researchStudies: readonly string[]): RequestCredentials {
  return {
    authorization: request.headers.authorization,
    certificate: peerCertificate(request.raw.socket),
    xAuthToken: headerText(request, 'x-auth-token'),
    clientId: headerText(request, 'client_id'),
    researchStudies,
  };
}

function decodePath(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function header<K extends string>(request: FastifyRequest, name: string, key: K): Partial<Record<K, string>> {
  const value = headerText(request, name);
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function send(reply: FastifyReply, res: FhirResponse, type: ResponseType): void {
  reply.status(res.status).headers(res.headers);
  if (res.body === undefined) {
    reply.send();
    return;
  }
  reply.type(`${type}; charset=utf-8`);
  reply.send(res.body.kind === 'raw' ? res.body.text : JSON.stringify(res.body.value));
}
