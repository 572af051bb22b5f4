import { requirePermission } from '../access/smart-access.js';
import { auditedStore } from '../audit/audited-store.js';
import { interactionOf } from '../audit/fhir-interaction.js';
import { RequestAudit } from '../audit/request-audit.js';
import type { SmartPermission } from '../auth/smart/scopes.js';
import { FhirkeepError, isFhirkeepError } from '../errors/fhirkeep-error.js';
import { outcomeOf } from '../errors/operation-outcome.js';
import { isStoredType } from '../fhir/audit-trail-type.js';
import type { SystemInteraction, TypeInteraction } from '../fhir/capability-statement.js';
import { isFhirId } from '../fhir/fhir-id.js';
import { clientFaultOf } from '../storage/database-errors.js';
import { allow } from './allow.js';
import { auditEvents } from './audit-events.js';
import type { FhirRequest, FhirResponse } from './fhir-request.js';
import { parseBundle } from './bundle/bundle-entries.js';
import { batch } from './interactions/batch.js';
import { create } from './interactions/create.js';
import { conditionalDelete, deleteResource } from './interactions/delete.js';
import { history } from './interactions/history.js';
import { patch } from './interactions/patch.js';
import { read } from './interactions/read.js';
import { search } from './interactions/search.js';
import { conditionalUpdate, update } from './interactions/update.js';
import { transaction } from './interactions/transaction.js';
import { vread } from './interactions/vread.js';
import { requireResourceMediaType } from './media-types.js';
import { docref } from './operations/docref.js';
import { everything } from './operations/everything.js';
import { exportKickOff } from './operations/export.js';
import { parseJsonBody } from './resource-body.js';
import type { RestContext } from './rest-context.js';

/** What this router implements on every stored type and at the base, as the CapabilityStatement says it. */
export const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const satisfies readonly TypeInteraction[];
export const SYSTEM_INTERACTIONS = ['transaction', 'batch', 'history-system', 'search-system'] as const satisfies readonly SystemInteraction[];

/** The operations this router answers, per type, as the CapabilityStatement lists them. */
export const TYPE_OPERATIONS: Readonly<Record<string, readonly { name: string; definition: string }[]>> = {
  Patient: [
    { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
    { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' },
  ],
  Group: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' }],
  DocumentReference: [{ name: 'docref', definition: 'http://hl7.org/fhir/us/core/OperationDefinition/docref' }],
};

/** The operations this router answers at the base. */
export const SYSTEM_OPERATIONS: readonly { name: string; definition: string }[] = [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }];

/** Something unexpected went wrong; the router reports it without leaking internals. */
export type ErrorReporter = (error: unknown, req: FhirRequest) => void;

/**
 * The transport-agnostic FHIR router (FhirRequest → FhirResponse). It never throws: every
 * failure becomes an OperationOutcome with the status from the error table.
 */
export class FhirRouter {
  constructor(
    private readonly ctx: RestContext,
    private readonly reportError: ErrorReporter,
  ) {}

  /**
   * Answers one request; with an audit trail, also records it (docs/audit.md): a write's row in
   * the write's transaction, any other row queued, and awaited only when the queue is full.
   */
  async handle(req: FhirRequest): Promise<FhirResponse> {
    const trail = this.ctx.auditTrail;
    const interaction = trail === undefined ? undefined : interactionOf(req.method, req.path);
    if (trail === undefined || interaction === undefined) return (await this.answer(req, this.ctx)).response;
    const audit = new RequestAudit({ ...req, principal: req.scope.principal }, interaction);
    const { response, errorCode } = await this.answer(req, { ...this.ctx, store: auditedStore(this.ctx.store, audit) }, audit);
    const row = audit.finish(response.status, errorCode);
    if (row !== undefined) await trail.record(row);
    return response;
  }

  private async answer(req: FhirRequest, ctx: RestContext, audit?: RequestAudit): Promise<{ response: FhirResponse; errorCode?: string }> {
    try {
      return { response: await this.dispatch(req, ctx, audit) };
    } catch (e) {
      const error = isFhirkeepError(e) ? e : (clientFaultOf(e) ?? this.internal(e, req));
      return { response: { status: error.status, headers: error.headers, body: { kind: 'json', value: outcomeOf(error) } }, errorCode: error.code };
    }
  }

  private internal(e: unknown, req: FhirRequest): FhirkeepError {
    this.reportError(e, req);
    return new FhirkeepError('internal', 'The server could not complete the request');
  }

  /** R4 §3.1.0.11: a batch or transaction Bundle POSTed to the base. */
  private bundle(req: FhirRequest, ctx: RestContext, audit: RequestAudit | undefined): Promise<FhirResponse> {
    requireResourceMediaType(req.contentType);
    const parsed = parseBundle(parseJsonBody(req.body), ctx.fhirBase(), ctx.maxBundleEntries);
    audit?.bundleType(parsed.type);
    const handlerFor = (entryCtx: RestContext) => {
      const router = new FhirRouter(entryCtx, this.reportError);
      return (entry: FhirRequest) => router.handle(entry);
    };
    if (parsed.type === 'batch') return batch(handlerFor(ctx), req, parsed);
    return transaction(ctx, handlerFor, req, parsed);
  }

  private dispatch(req: FhirRequest, ctx: RestContext, audit: RequestAudit | undefined): Promise<FhirResponse> {
    for (const [name, value] of req.query) {
      // PostgreSQL text cannot hold NUL: refuse it here rather than fail in a query.
      if (name.includes('\0') || value.includes('\0')) throw new FhirkeepError('invalid-parameter', `Parameter ${JSON.stringify(name)} contains a NUL character`);
    }
    const segments = req.path === '' ? [] : req.path.split('/');
    const [first, second, third, fourth, ...rest] = segments;
    if (rest.length > 0) throw notFound(req);
    const m = req.method;

    if (first === undefined) {
      allow(m, ['GET', 'POST'], req);
      if (m === 'POST') return this.bundle(req, ctx, audit);
      return search(ctx, req, undefined);
    }
    if (first === 'metadata' && second === undefined) {
      allow(m, ['GET'], req);
      return Promise.resolve({ status: 200, headers: {}, body: { kind: 'raw', text: ctx.capabilityStatement() } });
    }
    if (first === '_history' && second === undefined) {
      allow(m, ['GET'], req);
      return history(ctx, req);
    }
    if (first === '$export' && second === undefined) {
      allow(m, ['GET', 'POST'], req);
      return exportKickOff(ctx, req, { kind: 'system' });
    }
    if (first.startsWith('$')) throw unknownOperation(first);

    const type = first;
    if (!ctx.resourceTypes.has(type)) throw new FhirkeepError('unknown-type', `Unknown resource type "${type}"`);
    // The audit trail is no stored resource: read and searched from its own table, never written.
    if (!isStoredType(type)) return auditEvents(ctx, req, segments.slice(1));
    // A type the token has no scope for at all is a 403 before any query (docs/authorization.md).
    const permit = (permission: SmartPermission): void => requirePermission(req.scope, permission, type);

    if (second === undefined) {
      allow(m, ['GET', 'POST', 'PUT', 'DELETE'], req);
      permit(m === 'POST' ? 'c' : m === 'PUT' ? 'u' : m === 'DELETE' ? 'd' : 's');
      if (m === 'POST') return create(ctx, req, type);
      if (m === 'PUT') return conditionalUpdate(ctx, req, type);
      if (m === 'DELETE') return conditionalDelete(ctx, req, type);
      return search(ctx, req, type);
    }
    if (second === '_history' && third === undefined) {
      allow(m, ['GET'], req);
      permit('s');
      return history(ctx, req, type);
    }
    if (second === '_search' && third === undefined) {
      allow(m, ['POST'], req);
      permit('s');
      return search(ctx, req, type);
    }
    if (type === 'DocumentReference' && second === '$docref' && third === undefined) {
      allow(m, ['GET', 'POST'], req);
      permit('s');
      return docref(ctx, req);
    }
    if (type === 'Patient' && second === '$export' && third === undefined) {
      allow(m, ['GET', 'POST'], req);
      return exportKickOff(ctx, req, { kind: 'patient' });
    }
    if (second.startsWith('$')) throw unknownOperation(second);

    const id = second;
    if (!isFhirId(id)) throw new FhirkeepError('invalid-id', `"${id}" is not a valid FHIR id (R4 §2.26.0.1)`);
    if (third === undefined) {
      allow(m, ['GET', 'PUT', 'PATCH', 'DELETE'], req);
      // SMART v2: patch is an update (u).
      permit(m === 'GET' ? 'r' : m === 'DELETE' ? 'd' : 'u');
      if (m === 'GET') return read(ctx, req, type, id);
      if (m === 'PUT') return update(ctx, req, type, id);
      if (m === 'PATCH') return patch(ctx, req, type, id);
      return deleteResource(ctx, req, type, id);
    }
    if (third === '_history') {
      allow(m, ['GET'], req);
      permit('r');
      return fourth === undefined ? history(ctx, req, type, id) : vread(ctx, req, type, id, fourth);
    }
    if (type === 'Patient' && third === '$everything' && fourth === undefined) {
      allow(m, ['GET'], req);
      // The patient is read; its compartment is searched within the scopes, type by type.
      permit('r');
      return everything(ctx, req, id);
    }
    if (type === 'Group' && third === '$export' && fourth === undefined) {
      allow(m, ['GET', 'POST'], req);
      return exportKickOff(ctx, req, { kind: 'group', groupId: id });
    }
    if (third.startsWith('$') && fourth === undefined) throw unknownOperation(third);
    throw notFound(req);
  }
}

function notFound(req: FhirRequest): FhirkeepError {
  return new FhirkeepError('not-found', `No FHIR interaction at /${req.path}`);
}

/** An operation this server does not define is the request's fault (400), as for an unknown parameter. */
function unknownOperation(name: string): FhirkeepError {
  return new FhirkeepError('unknown-operation', `Unknown operation ${name}`);
}

function unsupported(req: FhirRequest, why: string): never {
  throw new FhirkeepError('not-implemented', `${req.method} /${req.path}: ${why}`);
}
