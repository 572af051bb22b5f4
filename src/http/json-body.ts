import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { FhirkeepError } from '../errors/fhirkeep-error.js';

/** The app's catch-all parser hands bodies over as text (fastify-app.ts): parse and check them here. */
export function parseBody<T>(request: FastifyRequest, schema: z.ZodType<T>): T {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new FhirkeepError('unsupported-media-type', 'Send the body as application/json');
  const text = typeof request.body === 'string' ? request.body : '';
  // PostgreSQL text and jsonb cannot hold NUL: refuse it here, as parseJsonBody does for FHIR bodies.
  if (text.includes('\\u0000')) throw new FhirkeepError('bad-request', 'The body contains a NUL character (\\u0000)');
  let json: unknown;
  try {
    json = JSON.parse(text, refuseProto);
  } catch (e) {
    if (e instanceof FhirkeepError) throw e;
    throw new FhirkeepError('bad-request', 'The body is not valid JSON');
  }
  return checkInput(json, schema);
}

/**
 * zod copies records member by member, so a member "__proto__" would not be saved as sent: a
 * string vanishes, an object becomes the copy's prototype. No API field has that name: refuse it.
 */
function refuseProto(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new FhirkeepError('bad-request', 'The body has a member named "__proto__": no field of this API has that name');
  return value;
}

/** Checks parsed input (a body, a query) against its schema: `bad-request` naming each failing field. */
export function checkInput<T>(input: unknown, schema: z.ZodType<T>, root = 'body'): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ field: i.path.length === 0 ? root : i.path.join('.'), message: i.message }));
    throw new FhirkeepError('bad-request', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      details: problems.map((p) => ({ message: `${p.field}: ${p.message}`, expression: p.field })),
    });
  }
  return parsed.data;
}

