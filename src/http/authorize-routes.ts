import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirkeepError, isFhirkeepError } from '../errors/fhirkeep-error.js';
import { createEhrLaunch } from '../auth/launches/ehr-launch.js';
import type { AuthorizeDependencies } from '../auth/oauth/authorize/authorize-dependencies.js';
import { readAuthorizeParams } from '../auth/oauth/authorize/authorize-params.js';
import { submitConsent } from '../auth/oauth/authorize/consent-step.js';
import { showPage, type BrowserRequest, type FlowResult } from '../auth/oauth/authorize/flow-result.js';
import { submitLogin } from '../auth/oauth/authorize/login-step.js';
import { nextStep } from '../auth/oauth/authorize/next-step.js';
import { isOpened, openForPage } from '../auth/oauth/authorize/open-request.js';
import { AUTHORIZE_PATHS } from '../auth/oauth/authorize/paths.js';
import { submitPatient } from '../auth/oauth/authorize/patient-step.js';
import { startAuthorization } from '../auth/oauth/authorize/start.js';
import { errorPage, signedOutPage } from '../auth/views/error-page.js';
import { pageHeaders } from '../auth/views/layout.js';
import { sendOutcome } from './send-outcome.js';

const browserOf = (request: FastifyRequest): BrowserRequest => ({ cookieHeader: request.headers.cookie, ip: request.ip });

function queryOf(request: FastifyRequest): URLSearchParams {
  // The raw query, not Fastify's parsed one: a parameter given twice must be seen twice (RFC 6749 §3.1).
  const q = request.url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1));
}

/** A form body (the app parses bodies as text); undefined when the request is not a form post. */
function formOf(request: FastifyRequest): URLSearchParams | undefined {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  return new URLSearchParams(typeof request.body === 'string' ? request.body : '');
}

function send(reply: FastifyReply, result: FlowResult): FastifyReply {
  if (result.cookies.length > 0) reply.header('set-cookie', [...result.cookies]);
  if (result.kind === 'redirect') {
    // A redirect may carry a code or a request id: nothing on the way may keep it.
    return reply.status(303).header('location', result.location).header('cache-control', 'no-store').send();
  }
  return reply.status(result.page.status).headers(pageHeaders(result.page)).send(result.page.body.text);
}

/**
 * The authorization endpoint and its pages (login, patient picker, consent), sign-out, and the
 * EHR launch API. Every browser-facing failure is an HTML page, never a JSON error.
 */
export function registerAuthorizeRoutes(app: FastifyInstance, deps: AuthorizeDependencies): void {
  const page =
    (handle: (request: FastifyRequest) => Promise<FlowResult>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      let result: FlowResult;
      try {
        result = await handle(request);
      } catch (e) {
        request.log.error({ err: e }, 'authorization page failed');
        result = showPage(errorPage(500, 'Something went wrong on our side.'));
      }
      return send(reply, result);
    };
  const formPost =
    (step: (form: URLSearchParams, browser: BrowserRequest, deps: AuthorizeDependencies) => Promise<FlowResult>) =>
    async (request: FastifyRequest): Promise<FlowResult> => {
      const form = formOf(request);
      return form === undefined ? showPage(errorPage(400, 'Expected a form submission.')) : step(form, browserOf(request), deps);
    };

  // RFC 6749 §3.1: GET must be supported; SMART App Launch 2.x `authorize-post` adds a form POST.
  // No automatic HEAD routes: a HEAD (a link previewer's) must neither store a request nor bind a browser.
  const get = { exposeHeadRoute: false };
  app.get(AUTHORIZE_PATHS.authorize, get, page(async (request) => startAuthorization(readAuthorizeParams(queryOf(request)), deps)));
  app.post(
    AUTHORIZE_PATHS.authorize,
    page(async (request) => {
      const form = formOf(request);
      return form === undefined ? showPage(errorPage(400, 'Expected a form submission.')) : startAuthorization(readAuthorizeParams(form), deps);
    }),
  );
  app.get(
    AUTHORIZE_PATHS.continue,
    get,
    page(async (request) => {
      const query = queryOf(request);
      const browser = browserOf(request);
      const opened = await openForPage(query.get('request') ?? undefined, browser, deps);
      return isOpened(opened) ? nextStep(opened, browser, deps, query.get('name') ?? undefined) : opened;
    }),
  );
  app.post(AUTHORIZE_PATHS.login, page(formPost(submitLogin)));
  app.post(AUTHORIZE_PATHS.patient, page(formPost(submitPatient)));
  app.post(AUTHORIZE_PATHS.consent, page(formPost(submitConsent)));

  // POST only: a GET could be fired by any image tag; a cross-site POST carries no SameSite=Lax cookie.
  app.post(
    AUTHORIZE_PATHS.logout,
    page(async (request) => {
      const browser = browserOf(request);
      const session = await deps.sessions.current(browser.cookieHeader);
      const cleared = await deps.sessions.end(browser.cookieHeader);
      if (session !== undefined) deps.recordSecurityEvent({ kind: 'logout', outcome: 'success', accountId: session.account.id, ip: browser.ip });
      return showPage(signedOutPage(), [cleared]);
    }),
  );

  app.post(AUTHORIZE_PATHS.launches, async (request, reply) => {
    try {
      const account = await deps.authenticateApi(request);
      const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') throw new FhirkeepError('unsupported-media-type', 'Send the launch as application/json');
      const created = await createEhrLaunch(account, typeof request.body === 'string' ? request.body : '', deps);
      // The launch value is a single-use credential: no cache may keep it.
      return await reply.status(201).header('cache-control', 'no-store').type('application/json').send(JSON.stringify(created));
    } catch (e) {
      if (!isFhirkeepError(e)) throw e;
      sendOutcome(reply, e, 'application/json');
      return reply;
    }
  });
}
