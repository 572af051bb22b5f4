import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { FhirResource } from '../storage/types.js';
import { requireResourceMediaType } from './media-types.js';
import type { FhirRequest } from './fhir-request.js';
import type { RestContext } from './rest-context.js';

/** Parses JSON text, turning a syntax error into a 400 the client can act on. */
export function parseJsonBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') {
    throw new FhirkeepError('invalid-json', 'The request needs a JSON body');
  }
  // PostgreSQL text cannot hold NUL, and FHIR strings have no use for it (R4 §2.24.0.1).
  if (body.includes('\\u0000')) throw new FhirkeepError('invalid-json', 'The body contains a NUL character (\\u0000)');
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new FhirkeepError('invalid-json', `The body is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Checks a parsed value is a valid resource of `expectedType` and returns it; every failing path
 * is reported. `code` is the error for a bad result: a bad body is 400, but a well-formed patch
 * whose result is invalid is 422 (R4 §3.1.0.7.1).
 */
export function checkResource(
  ctx: RestContext,
  value: unknown,
  expectedType: string,
  code: 'invalid-resource' | 'unprocessable' = 'invalid-resource',
): FhirResource {
  const outcome = ctx.validate(value);
  if (!outcome.ok) {
    // The URL's type is known here, so an unknown resourceType in the body is a bad body (400), not a 404.
    throw new FhirkeepError(code, 'The resource is not valid FHIR R4', { details: outcome.details });
  }
  if (outcome.resource.resourceType !== expectedType) {
    throw new FhirkeepError(
      code,
      `The body is a ${outcome.resource.resourceType}, but the URL names ${expectedType}`,
      { details: [{ message: `resourceType must be ${expectedType}`, expression: 'resourceType' }] },
    );
  }
  return outcome.resource;
}

/** The body of a create or update: right media type, valid JSON, a valid resource of the URL's type. */
export function readResourceBody(ctx: RestContext, req: FhirRequest, expectedType: string): FhirResource {
  requireResourceMediaType(req.contentType);
  return checkResource(ctx, parseJsonBody(req.body), expectedType);
}
