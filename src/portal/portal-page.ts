import type { Account } from '../auth/accounts/account.js';
import type { SafeHtml } from '../auth/views/html.js';

/** A portal request as a page handler sees it, free of Fastify (handlers are tested without HTTP). */
export interface PortalRequest {
  /** The signed-in account; pages registered as `signedIn` never see undefined. */
  readonly account: Account | undefined;
  readonly query: URLSearchParams;
  /** A form post's fields (CSRF already checked); undefined for GET. */
  readonly form: URLSearchParams | undefined;
  /** Path parameters (`:id` …). */
  readonly params: Readonly<Record<string, string>>;
  readonly cookieHeader: string | undefined;
  readonly ip: string;
  /** The CSRF token every form of the page must carry (hidden field `csrf`). */
  readonly csrf: string;
}

/** What a page handler answers. */
export type PortalResult =
  | {
      readonly kind: 'page';
      readonly title: string;
      readonly body: SafeHtml;
      readonly status?: number;
      /** Set-Cookie values (sign-in, sign-out). */
      readonly cookies?: readonly string[];
    }
  | { readonly kind: 'redirect'; readonly location: string; readonly cookies?: readonly string[] }
  /** A download (a signed certificate, a filter as JSON). */
  | { readonly kind: 'file'; readonly name: string; readonly contentType: string; readonly body: string };

export function page(title: string, body: SafeHtml, options: { status?: number; cookies?: readonly string[] } = {}): PortalResult {
  return { kind: 'page', title, body, ...options };
}

/** After a form post: 303 See Other, so a reload does not post again. */
export function redirect(location: string, cookies?: readonly string[]): PortalResult {
  return { kind: 'redirect', location, ...(cookies === undefined ? {} : { cookies }) };
}
