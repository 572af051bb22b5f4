import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { informationOutcome } from '../../errors/operation-outcome.js';
import { parseConditionalCriteria } from '../conditional-criteria.js';
import { etagOf, parseIfMatch } from '../etag.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { RestContext } from '../rest-context.js';

/**
 * FHIR R4 §3.1.0.7 delete. Deleting what is absent or already deleted succeeds too, so a
 * retried delete is idempotent; the OperationOutcome says which case it was.
 */
export async function deleteResource(ctx: RestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const ifMatch = req.headers.ifMatch === undefined ? undefined : parseIfMatch(req.headers.ifMatch);
  const v = await ctx.store.delete(req.scope, type, id, ifMatch === undefined ? {} : { ifMatch });
  if (v === undefined) {
    return { status: 200, headers: {}, body: { kind: 'json', value: informationOutcome(`${type}/${id} did not exist; nothing was deleted`) } };
  }
  return {
    status: 200,
    headers: { ETag: etagOf(v.versionId) },
    body: { kind: 'json', value: informationOutcome(`Deleted ${type}/${id} (version ${v.versionId})`) },
  };
}

/** FHIR R4 §3.1.0.7.1 conditional delete, `single` mode: more than one match → 412. */
export async function conditionalDelete(ctx: RestContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const matches = await ctx.store.match(req.scope, parseConditionalCriteria(ctx, type, req.query));
  if (matches.length > 1) {
    throw new FhirkeepError('multiple-matches', `More than one ${type} matches the criteria; nothing was deleted`);
  }
  const [id] = matches;
  if (id === undefined) {
    return { status: 200, headers: {}, body: { kind: 'json', value: informationOutcome(`No ${type} matches; nothing was deleted`) } };
  }
  return deleteResource(ctx, req, type, id);
}
