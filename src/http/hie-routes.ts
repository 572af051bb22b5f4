import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HieClient } from '../auth/dialects/hie/hie-client.js';
import type { HieService } from '../auth/dialects/hie/hie-service.js';
import { isFhirkeepError } from '../errors/fhirkeep-error.js';
import { logWithoutSecretSegment } from './fastify-app.js';
import { headerText } from './header-text.js';

/**
 * The HIE login dialect's API (docs/hie.md), as the partners' clients call it: every call
 * carries the organization's `client_id` and `X-Auth-Token` headers; errors are
 * `{"error": true, "message": …, "code": N}`.
 */
export const HIE_PATHS = {
  signIn: '/api/1.0/sso/signin',
  signOut: '/api/1.0/sso/signout/:token',
  tokenInfo: '/api/1.0/sso/token/:token',
} as const;

/**
 * A failed sign-in answers 404 with code 401 in the body: the partners' documentation shows
 * that status, and their clients test for it.
 */
const SIGN_IN_FAILED_STATUS = 404;

export function registerHieRoutes(app: FastifyInstance, { hie }: { readonly hie: HieService }): void {
  app.post(HIE_PATHS.signIn, async (request, reply) => {
    const client = await organization(request, reply);
    if (client === undefined) return reply;
    const form = await signInForm(request);
    if (form === undefined) return hieError(reply, 400, 'Send email and password, once each, as a form (application/x-www-form-urlencoded or multipart/form-data)');
    try {
      const token = await hie.sessions.signIn(client, form.email, form.password, request.ip);
      return await answer(reply, 200, { access_token: token });
    } catch (e) {
      if (!isFhirkeepError(e)) throw e;
      if (e.code === 'too-many-requests') return hieError(reply, 429, e.message, 429, e.headers);
      if (e.code === 'unauthorized') return hieError(reply, SIGN_IN_FAILED_STATUS, 'Not authenticated', 401);
      throw e;
    }
  });

  // The user's token is in these paths: the request log shows the pattern instead.
  // The user token is in these paths: the request log must not show it, whichever route answers.
  for (const path of [HIE_PATHS.signOut, HIE_PATHS.tokenInfo]) logWithoutSecretSegment(app, path.replace(':token', ''));

  app.post<{ Params: { token: string } }>(HIE_PATHS.signOut, async (request, reply) => {
    const client = await organization(request, reply);
    if (client === undefined) return reply;
    return sessionCall(reply, async () => {
      await hie.sessions.signOut(client, request.params.token);
      return { message: 'Signed out' };
    });
  });

  app.get<{ Params: { token: string } }>(HIE_PATHS.tokenInfo, async (request, reply) => {
    const client = await organization(request, reply);
    if (client === undefined) return reply;
    return sessionCall(reply, () => hie.sessions.tokenInfo(client, request.params.token));
  });

  /** The calling organization's client, or undefined once a 401 has been sent. */
  async function organization(request: FastifyRequest, reply: FastifyReply): Promise<HieClient | undefined> {
    try {
      return await hie.clients.authenticate(headerText(request, 'client_id'), headerText(request, 'x-auth-token'));
    } catch (e) {
      if (!isFhirkeepError(e) || e.code !== 'unauthorized') throw e;
      await hieError(reply, 401, e.message);
      return undefined;
    }
  }
}

/** A call on a user's session: `unauthorized` (unknown, ended, expired, another client's) is a 401. */
async function sessionCall(reply: FastifyReply, call: () => Promise<object>): Promise<FastifyReply> {
  try {
    return await answer(reply, 200, await call());
  } catch (e) {
    if (isFhirkeepError(e) && e.code === 'unauthorized') return hieError(reply, 401, e.message);
    throw e;
  }
}

/** Every answer may carry a token or a user: nothing on the way may keep it. */
function answer(reply: FastifyReply, status: number, body: object, headers: Readonly<Record<string, string>> = {}): FastifyReply {
  return reply.status(status).headers({ ...headers, 'cache-control': 'no-store', pragma: 'no-cache' }).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

function hieError(reply: FastifyReply, status: number, message: string, code = status, headers: Readonly<Record<string, string>> = {}): FastifyReply {
  return answer(reply, status, { error: true, message, code }, headers);
}


/**
 * `email` and `password` from a form body, URL-encoded or multipart (the partners' examples use
 * both; the WHATWG parser reads either), each exactly once; undefined for anything else.
 */
async function signInForm(request: FastifyRequest): Promise<{ email: string; password: string } | undefined> {
  const type = request.headers['content-type'] ?? '';
  const media = type.split(';')[0]?.trim().toLowerCase();
  if (media !== 'application/x-www-form-urlencoded' && media !== 'multipart/form-data') return undefined;
  let form: FormData;
  try {
    form = await new Response(typeof request.body === 'string' ? request.body : '', { headers: { 'content-type': type } }).formData();
  } catch {
    return undefined;
  }
  const email = form.getAll('email');
  const password = form.getAll('password');
  if (email.length !== 1 || password.length !== 1) return undefined;
  const [e, p] = [email[0], password[0]];
  return typeof e === 'string' && typeof p === 'string' && e !== '' && p !== '' ? { email: e, password: p } : undefined;
}
