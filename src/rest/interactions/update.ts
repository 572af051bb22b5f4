import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { isFhirId } from '../../fhir/fhir-id.js';
import type { FhirResource } from '../../storage/types.js';
import { parseConditionalCriteria } from '../conditional-criteria.js';
import { parseIfMatch } from '../etag.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { readResourceBody } from '../resource-body.js';
import type { RestContext } from '../rest-context.js';
import { writeResponse } from '../version-response.js';

/** FHIR R4 §3.1.0.4 update, including update-as-create at a client-chosen id. */
export async function update(ctx: RestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const resource = readResourceBody(ctx, req, type);
  // R4 §3.1.0.4: the body SHALL carry an id identical to the URL's, else 400.
  if (resource.id === undefined) {
    throw new FhirkeepError('id-mismatch', `The body needs id "${id}" to update ${type}/${id}`, {
      details: [{ message: 'id is required in an update', expression: `${type}.id` }],
    });
  }
  if (resource.id !== id) {
    throw new FhirkeepError('id-mismatch', `The body's id "${String(resource.id)}" differs from the URL's "${id}"`, {
      details: [{ message: `id must be ${id}`, expression: `${type}.id` }],
    });
  }
  return store(ctx, req, type, id, resource);
}

/** FHIR R4 §3.1.0.4.3 conditional update: 0 matches create, 1 updates, more → 412. */
export async function conditionalUpdate(ctx: RestContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const resource = readResourceBody(ctx, req, type);
  const matches = await ctx.store.match(req.scope, parseConditionalCriteria(ctx, type, req.query));
  if (matches.length > 1) {
    throw new FhirkeepError('multiple-matches', `More than one ${type} matches the criteria; nothing was updated`);
  }
  const target = matches[0] ?? resource.id;
  if (target === undefined) {
    // No match and no id: R4 says to create, with a server-assigned id.
    delete resource.id;
    const v = await ctx.store.create(req.scope, resource);
    return writeResponse(ctx, 201, v, req.headers.prefer, `Created ${type}/${v.id}`);
  }
  if (matches.length === 0) {
    // R4 §3.1.0.4.3: no match, an id given and that resource exists → 409, never overwrite it.
    const existing = await ctx.store.read(req.scope, type, target);
    if (existing !== undefined && !existing.deleted) {
      throw new FhirkeepError('version-conflict', `${type}/${target} exists but does not match the criteria`);
    }
  }
  if (resource.id !== undefined && resource.id !== target) {
    throw new FhirkeepError('id-mismatch', `The body's id "${resource.id}" differs from the matched ${type}/${target}`);
  }
  if (!isFhirId(target)) throw new FhirkeepError('invalid-id', `"${target}" is not a valid FHIR id`);
  return store(ctx, req, type, target, { ...resource, id: target });
}

async function store(ctx: RestContext, req: FhirRequest, type: string, id: string, resource: FhirResource): Promise<FhirResponse> {
  const ifMatch = req.headers.ifMatch === undefined ? undefined : parseIfMatch(req.headers.ifMatch);
  const result = await ctx.store.update(req.scope, type, id, resource, ifMatch === undefined ? {} : { ifMatch });
  const status = result.created ? 201 : 200;
  const verb = result.created ? 'Created' : 'Updated';
  return writeResponse(ctx, status, result.version, req.headers.prefer, `${verb} ${type}/${id}`);
}
