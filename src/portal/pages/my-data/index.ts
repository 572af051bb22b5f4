import type { PortalRoute } from '../../portal-route.js';
import { accessLogPages } from './access-log-page.js';
import { accessPages } from './access-page.js';
import type { MyDataDeps } from './my-data-common.js';
import { servicesPages } from './services-page.js';
import { sharingPages } from './sharing-page.js';

export type { MyDataDeps } from './my-data-common.js';

/**
 * The account holder's pages (role patient, docs/portal/portal-my-data.md): who has access and
 * revoking it, subscribing to services, sharing with organizations, and who accessed her records
 * (from the audit trail, docs/audit-reading.md).
 */
export function myDataPages(deps: MyDataDeps): PortalRoute[] {
  return [...accessPages(deps), ...servicesPages(deps), ...sharingPages(deps), ...accessLogPages(deps)];
}
