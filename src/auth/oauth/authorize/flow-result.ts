import type { HtmlPage } from '../../views/layout.js';
import { AUTHORIZE_PATHS } from './paths.js';

/** What an authorization step answers; the HTTP adapter turns it into a response. */
export type FlowResult =
  | { readonly kind: 'page'; readonly page: HtmlPage; readonly cookies: readonly string[] }
  /** 303 See Other: the browser follows with a GET, also after a form POST (RFC 9110 §15.4.4). */
  | { readonly kind: 'redirect'; readonly location: string; readonly cookies: readonly string[] };

/** The browser side of a request: its cookies and where it comes from. */
export interface BrowserRequest {
  readonly cookieHeader: string | undefined;
  readonly ip: string;
}

export const showPage = (page: HtmlPage, cookies: readonly string[] = []): FlowResult => ({ kind: 'page', page, cookies });

export const redirectTo = (location: string, cookies: readonly string[] = []): FlowResult => ({ kind: 'redirect', location, cookies });

/** The page that shows whatever the pending request needs next. */
export const continueUrl = (requestId: string): string => `${AUTHORIZE_PATHS.continue}?request=${encodeURIComponent(requestId)}`;
