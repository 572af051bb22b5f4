import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../auth/sessions/session-service.js';
import { html } from '../auth/views/html.js';
import { isFhirkeepError } from '../errors/fhirkeep-error.js';
import { asset } from '../portal/assets.js';
import { csrfState, csrfValid } from '../portal/csrf.js';
import { portalHeaders, portalLayout } from '../portal/layout.js';
import { page, type PortalRequest, type PortalResult } from '../portal/portal-page.js';
import type { PortalRoute } from '../portal/portal-route.js';

export interface PortalRoutesOptions {
  readonly sessions: Pick<SessionService, 'current'>;
  /** The public base URL: cookies get Secure under https, and a form must come from its origin. */
  readonly publicBase: () => string;
  readonly routes: readonly PortalRoute[];
}

/**
 * The web portal's HTTP adapter (docs/portal.md): sessions from the shared sign-in cookie, the
 * CSRF token on every form post (and the Origin, when the browser sends one), the role a route
 * asks for, the layout and the strict CSP headers. Pages themselves only call the services the
 * JSON API calls.
 */
export function registerPortalRoutes(app: FastifyInstance, options: PortalRoutesOptions): void {
  const secure = () => options.publicBase().startsWith('https:');
  app.get('/', async (_request, reply) => reply.redirect('/portal', 302));
  app.get<{ Params: { name: string } }>('/portal/assets/:name', async (request, reply) => {
    const found = asset(request.params.name);
    if (found === undefined) return reply.status(404).type('text/plain').send('Not found');
    // The URL carries the content hash, so the asset can be kept for good.
    return reply.type(found.contentType).header('cache-control', 'public, max-age=31536000, immutable').header('x-content-type-options', 'nosniff').send(found.body);
  });

  for (const route of options.routes) {
    const handler = async (request: FastifyRequest<{ Params: Record<string, string> }>, reply: FastifyReply): Promise<FastifyReply> => {
      const cookieHeader = request.headers.cookie;
      const csrf = csrfState(cookieHeader, secure());
      const account = (await options.sessions.current(cookieHeader))?.account;
      const path = request.url.split('?')[0] ?? request.url;
      const query = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
      const respond = (result: PortalResult) => send(reply, result, { account, csrf: csrf.token, path, scripts: route.scripts ?? [], setCsrf: csrf.setCookie });

      if (route.access !== 'public') {
        if (account === undefined) {
          if (route.method === 'GET') return respond({ kind: 'redirect', location: `/portal/sign-in?next=${encodeURIComponent(request.url)}` });
          return respond(problem(401, 'Your session has ended: sign in again.'));
        }
        if (route.access !== 'signed-in' && !route.access.some((r) => account.roles.includes(r))) {
          return respond(problem(403, `This page is for accounts with the role ${route.access.join(' or ')}.`));
        }
      }
      let form: URLSearchParams | undefined;
      if (route.method === 'POST') {
        const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
        if (type !== 'application/x-www-form-urlencoded') return respond(problem(415, 'Expected a form submission.'));
        form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
        const origin = request.headers.origin;
        if ((origin !== undefined && origin !== new URL(options.publicBase()).origin) || !csrfValid(cookieHeader, form.get('csrf'))) {
          return respond(problem(403, 'This form has expired or did not come from this site: go back, reload the page and try again.'));
        }
      }
      const portalRequest: PortalRequest = { account, query, form, params: request.params, cookieHeader, ip: request.ip, csrf: csrf.token };
      let result: PortalResult;
      try {
        result = await route.handle(portalRequest);
      } catch (e) {
        if (isFhirkeepError(e)) {
          // A throttle's Retry-After (sign-in, sign-up) goes out with the page that explains it.
          reply.headers(e.headers);
          result = problem(e.status, e.message);
        }
        else {
          request.log.error({ err: e }, 'portal page failed');
          result = problem(500, 'Something went wrong on our side.');
        }
      }
      return respond(result);
    };
    if (route.method === 'GET') app.get(route.path, { exposeHeadRoute: false }, handler);
    else app.post(route.path, handler);
  }
}

function problem(status: number, message: string): PortalResult {
  return page(TITLES[status] ?? 'Error', html`<div class="card"><p class="error" role="alert">${message}</p><p><a href="/portal">Back to the portal</a></p></div>`, { status });
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Check your input',
  401: 'Sign in again',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Already exists',
  413: 'Too large',
  415: 'Not a form',
  429: 'Too many attempts',
  500: 'Something went wrong',
};

interface SendContext {
  readonly account: PortalRequest['account'];
  readonly csrf: string;
  readonly path: string;
  readonly scripts: readonly string[];
  readonly setCsrf: string | undefined;
}

function send(reply: FastifyReply, result: PortalResult, ctx: SendContext): FastifyReply {
  const cookies = [...(ctx.setCsrf === undefined ? [] : [ctx.setCsrf]), ...(result.kind === 'file' ? [] : (result.cookies ?? []))];
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  if (result.kind === 'redirect') return reply.status(303).header('location', result.location).header('cache-control', 'no-store').send();
  if (result.kind === 'file') {
    return reply
      .status(200)
      .headers({ 'content-type': result.contentType, 'content-disposition': `attachment; filename="${result.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
      .send(result.body);
  }
  const body = portalLayout(result.title, result.body, { account: ctx.account, csrf: ctx.csrf, path: ctx.path, scripts: ctx.scripts });
  return reply.status(result.status ?? 200).headers(portalHeaders()).send(body.text);
}
