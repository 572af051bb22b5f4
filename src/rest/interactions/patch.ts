import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { parseIfMatch } from '../etag.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { requirePatchMediaType } from '../media-types.js';
import { checkResource, parseJsonBody } from '../resource-body.js';
import type { RestContext } from '../rest-context.js';
import { writeResponse } from '../version-response.js';
import { requireLive } from './read.js';

const { applyPatch, validate, JsonPatchError } = fastJsonPatch;

/**
 * FHIR R4 §3.1.0.7.1 patch with JSON Patch (RFC 6902). The patched resource is validated like
 * an update and stored with compare-and-swap on the version it was computed from, so a
 * concurrent write is never silently overwritten.
 */
export async function patch(ctx: RestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  requirePatchMediaType(req.contentType);
  const ops = parseOperations(parseJsonBody(req.body));
  const current = requireLive(await ctx.store.read(req.scope, type, id), type, id);
  const expected = req.headers.ifMatch === undefined ? current.versionId : parseIfMatch(req.headers.ifMatch);
  if (expected !== current.versionId) {
    throw new FhirkeepError('precondition-failed', `${type}/${id} is at version ${current.versionId}, not ${expected}`);
  }
  const patched = applyOperations(JSON.parse(current.json) as unknown, ops);
  const resource = checkResource(ctx, patched, type, 'unprocessable');
  if (resource.id !== id) throw new FhirkeepError('unprocessable', 'A patch may not change the resource id');
  const result = await ctx.store.update(req.scope, type, id, resource, { ifMatch: expected, method: 'PATCH' });
  return writeResponse(ctx, 200, result.version, req.headers.prefer, `Patched ${type}/${id}`);
}

/** Checks a JSON Patch body before anything is applied (exported for its unit test). */
export function parseOperations(value: unknown): Operation[] {
  if (!Array.isArray(value)) throw new FhirkeepError('invalid-patch', 'A JSON Patch body is an array of operations (RFC 6902 §3)');
  // RFC 6902 §4: every operation must be well formed before any is applied.
  const problem = validate(value as Operation[]);
  if (problem !== undefined) throw new FhirkeepError('invalid-patch', `Invalid JSON Patch: ${problem.message}`);
  const ops = value as Operation[];
  for (const op of ops) {
    for (const pointer of [op.path, 'from' in op ? op.from : undefined]) {
      // fast-json-patch throws a TypeError on these (prototype pollution); no FHIR element has such a name.
      if (pointer !== undefined && namesPrototype(pointer)) throw new FhirkeepError('invalid-patch', `Invalid JSON Patch: the path ${pointer} names an object's prototype`);
    }
  }
  return ops;
}

/** A JSON Pointer (RFC 6901) through `__proto__` or `constructor/prototype`. */
function namesPrototype(pointer: string): boolean {
  // RFC 6901 §4: ~1 is '/', ~0 is '~', in that order.
  const keys = pointer.split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  return keys.some((k, i) => k === '__proto__' || (k === 'prototype' && keys[i - 1] === 'constructor'));
}

/** Applies checked operations to a resource's stored JSON (exported for its unit test). */
export function applyOperations(document: unknown, ops: Operation[]): unknown {
  try {
    // validateOperation = true, mutateDocument = true (the document is our own fresh parse).
    return applyPatch(document, ops, true, true).newDocument;
  } catch (e) {
    // RFC 6902 §5: a failed `test` or a path that does not exist is a patch the resource refuses.
    // The document is our own valid JSON, so whatever else fails is the patch's doing too: e.g. a
    // TypeError on the operation after one that removed the whole document.
    const reason = e instanceof JsonPatchError ? (e.message.split('\n')[0] ?? e.name) : e instanceof Error ? e.message : String(e);
    throw new FhirkeepError('unprocessable', `The patch cannot be applied: ${reason}`);
  }
}
