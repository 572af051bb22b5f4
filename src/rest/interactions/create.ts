import { parseConditionalCriteria } from '../conditional-criteria.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { writeResponse } from '../version-response.js';
import { readResourceBody } from '../resource-body.js';
import type { RestContext } from '../rest-context.js';

/** FHIR R4 §3.1.0.8 create, and conditional create with If-None-Exist. */
export async function create(ctx: RestContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const resource = readResourceBody(ctx, req, type);
  // R4 §3.1.0.8: an id in a create body is ignored; the server assigns one.
  delete resource.id;
  const options = req.assignedId === undefined ? {} : { id: req.assignedId };
  if (req.headers.ifNoneExist === undefined) {
    const v = await ctx.store.create(req.scope, resource, options);
    return writeResponse(ctx, 201, v, req.headers.prefer, `Created ${type}/${v.id}`);
  }
  const criteria = parseConditionalCriteria(ctx, type, ifNoneExistQuery(req.headers.ifNoneExist));
  const result = await ctx.store.createIfNoneExist(req.scope, resource, criteria, options);
  if (result.created) return writeResponse(ctx, 201, result.version, req.headers.prefer, `Created ${type}/${result.version.id}`);
  // R4 §3.1.0.8: one match → 200 OK and nothing is created.
  const v = result.existing;
  return writeResponse(ctx, 200, v, req.headers.prefer, `${type}/${v.id} already matches; nothing was created`);
}

/** If-None-Exist carries the query part of a search URL, with or without a leading `?` or type. */
export function ifNoneExistQuery(value: string): URLSearchParams {
  const q = value.includes('?') ? value.slice(value.indexOf('?') + 1) : value;
  return new URLSearchParams(q);
}
