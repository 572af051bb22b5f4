import type { Role } from '../auth/accounts/account.js';
import type { PortalRequest, PortalResult } from './portal-page.js';

/**
 * One portal page or form target. Page modules (src/portal/pages/) answer lists of these; the
 * HTTP adapter (src/http/portal-routes.ts) adds the session, CSRF check, layout and headers.
 */
export interface PortalRoute {
  readonly method: 'GET' | 'POST';
  /** Under /portal, Fastify syntax (`/portal/apps/:id`). */
  readonly path: string;
  /** Who may use it: anyone, any signed-in account, or accounts with one of these roles. */
  readonly access: 'public' | 'signed-in' | readonly Role[];
  readonly handle: (request: PortalRequest) => Promise<PortalResult>;
  /** Scripts (asset names) the page needs besides portal.js. */
  readonly scripts?: readonly string[];
}
