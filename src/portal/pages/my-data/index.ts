import type { PortalRoute } from '../../portal-route.js';
import { accessPages } from './access-page.js';
import type { MyDataDeps } from './my-data-common.js';
import { servicesPages } from './services-page.js';
import { sharingPages } from './sharing-page.js';

export type { MyDataDeps } from './my-data-common.js';

/**
 * The account holder's pages (role patient, docs/portal/portal-my-data.md): who has access and
 * revoking it, subscribing to services, sharing with organizations. "Who accessed my data" waits
 * for the audit trail (issue 10).
 */
export function myDataPages(deps: MyDataDeps): PortalRoute[] {
  return [...accessPages(deps), ...servicesPages(deps), ...sharingPages(deps)];
}
