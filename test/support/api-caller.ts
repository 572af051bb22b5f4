import type { FastifyRequest } from 'fastify';
import { FhirkeepError } from '../../src/errors/fhirkeep-error.js';
import type { HttpClient, SendOptions } from './http.js';

/**
 * A stand-in for the API's session authentication in route tests: `Authorization: Test
 * <account>[:admin]` is that account, a developer or (with `:admin`) an admin.
 */
export async function testApiCaller(request: FastifyRequest): Promise<{ accountId: string; roles: string[] }> {
  const match = /^Test ([\w-]+)(:admin)?$/.exec(request.headers.authorization ?? '');
  if (match === null) throw new FhirkeepError('unauthorized', 'Sign in first');
  return { accountId: match[1] ?? '', roles: match[2] === undefined ? ['developer'] : ['admin'] };
}

/** Calls a JSON API route as `who` (see testApiCaller; undefined: nobody signed in). */
export function apiCallAs(http: () => HttpClient) {
  return (who: string | undefined, method: string, path: string, options: SendOptions = {}) =>
    http()(method, path, { ...options, headers: { ...(who === undefined ? {} : { authorization: `Test ${who}` }), 'content-type': 'application/json', accept: 'application/json', ...options.headers } });
}
