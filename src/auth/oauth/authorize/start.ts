import { randomSecret } from '../../random-secret.js';
import { LIFETIMES } from '../../tokens/lifetimes.js';
import { errorPage } from '../../views/error-page.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import type { AuthorizeParams } from './authorize-params.js';
import { errorRedirect } from './authorize-response.js';
import { continueUrl, redirectTo, showPage, type FlowResult } from './flow-result.js';
import { validateAuthorizeRequest } from './validate-request.js';

/**
 * `/oauth2/authorize` (GET, or POST for SMART `authorize-post`): checks the request, stores it
 * as pending, and sends the browser on to its pages. The pages run on a GET of this server, so
 * they see the browser's cookies even when the app started with a cross-site POST (which
 * SameSite=Lax cookies do not accompany).
 */
export async function startAuthorization(params: AuthorizeParams, deps: AuthorizeDependencies): Promise<FlowResult> {
  const validation = await validateAuthorizeRequest(params, deps);
  switch (validation.kind) {
    case 'untrusted':
      return showPage(errorPage(400, validation.message));
    case 'refused':
      return redirectTo(errorRedirect(validation.target, deps.issuer(), validation.error));
    case 'valid': {
      const id = randomSecret();
      await deps.requests.insert(id, validation.request, new Date(Date.now() + LIFETIMES.authorizationRequest * 1000));
      return redirectTo(continueUrl(id));
    }
  }
}
