import type { Account } from '../../accounts/account.js';
import type { RegisteredClient } from '../../clients/client.js';
import { isRandomSecret } from '../../random-secret.js';
import { bindingHash, browserBinding, csrfMatches, csrfToken, presentedBinding } from '../../sessions/browser-binding.js';
import { errorPage } from '../../views/error-page.js';
import type { RequestFormKeys } from '../../views/request-form.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { showPage, type BrowserRequest, type FlowResult } from './flow-result.js';
import type { StoredAuthorizationRequest } from './pending-request.js';

/** A pending request this browser may continue. */
export interface OpenedRequest {
  readonly stored: StoredAuthorizationRequest;
  readonly client: RegisteredClient;
  /** What its forms carry. */
  readonly keys: RequestFormKeys;
  readonly browserHash: Buffer;
  /** Set-Cookie values to send (the browser binding, when it was just made). */
  readonly cookies: readonly string[];
}

type Deps = Pick<AuthorizeDependencies, 'requests' | 'clients' | 'fhirBase'>;

const UNKNOWN = 'This sign-in request is unknown or has expired.';
const REVOKED = 'The application asking has been revoked.';

/** Request ids are `randomSecret()`s (start.ts): any other value is unknown without a query. */
function findRequest(requestId: string | undefined, deps: Deps): Promise<StoredAuthorizationRequest | undefined> {
  return isRandomSecret(requestId) ? deps.requests.find(requestId) : Promise.resolve(undefined);
}

/** A client revoked while its user was on these pages gets nothing more. */
async function activeClient(stored: StoredAuthorizationRequest, deps: Deps): Promise<RegisteredClient | undefined> {
  const client = await deps.clients.find(stored.request.clientId);
  return client === undefined || client.revoked ? undefined : client;
}

/** GET: the first browser to open a request owns it (it arrived by redirect, so the id was fresh). */
export async function openForPage(requestId: string | undefined, browser: BrowserRequest, deps: Deps): Promise<OpenedRequest | FlowResult> {
  const stored = await findRequest(requestId, deps);
  if (stored === undefined) return showPage(errorPage(400, UNKNOWN));
  const binding = browserBinding(browser.cookieHeader, deps.fhirBase().startsWith('https:'));
  const cookies = binding.setCookie === undefined ? [] : [binding.setCookie];
  const browserHash = bindingHash(binding.secret);
  if (!(await deps.requests.bindBrowser(stored.id, browserHash))) {
    return showPage(errorPage(400, 'This sign-in request belongs to another browser.'), cookies);
  }
  const client = await activeClient(stored, deps);
  if (client === undefined) return showPage(errorPage(400, REVOKED), cookies);
  return { stored, client, browserHash, cookies, keys: { requestId: stored.id, csrf: csrfToken(binding.secret, stored.id) } };
}

/**
 * POST: the form must come from the browser the request is bound to and carry that browser's
 * CSRF token for it (RFC 6749 §10.12); anything else gets an error page, never a redirect.
 */
export async function openForForm(form: URLSearchParams, browser: BrowserRequest, deps: Deps): Promise<OpenedRequest | FlowResult> {
  const stored = await findRequest(form.get('request') ?? undefined, deps);
  if (stored === undefined) return showPage(errorPage(400, UNKNOWN));
  const secret = presentedBinding(browser.cookieHeader);
  const browserHash = secret === undefined ? undefined : bindingHash(secret);
  if (
    secret === undefined ||
    browserHash === undefined ||
    stored.browserHash === undefined ||
    !browserHash.equals(stored.browserHash) ||
    !csrfMatches(secret, stored.id, form.get('csrf') ?? undefined)
  ) {
    return showPage(errorPage(400, 'The form could not be verified. Reload the page and try again.'));
  }
  const client = await activeClient(stored, deps);
  if (client === undefined) return showPage(errorPage(400, REVOKED));
  return { stored, client, browserHash, cookies: [], keys: { requestId: stored.id, csrf: csrfToken(secret, stored.id) } };
}

export function isOpened(value: OpenedRequest | FlowResult): value is OpenedRequest {
  return 'stored' in value;
}

/** The account signed in for this request, if this browser's session is still that account's. */
export async function signedInAccount(opened: OpenedRequest, browser: BrowserRequest, deps: Pick<AuthorizeDependencies, 'sessions'>): Promise<Account | undefined> {
  if (opened.stored.accountId === undefined) return undefined;
  const session = await deps.sessions.current(browser.cookieHeader);
  return session?.account.id === opened.stored.accountId ? session.account : undefined;
}
