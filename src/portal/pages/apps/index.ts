import type { PortalRoute } from '../../portal-route.js';
import { appListPages } from './app-list.js';
import type { AppsDeps } from './apps-common.js';
import { keyPages } from './keys.js';
import { managerPages } from './managers.js';
import { overviewPages } from './overview.js';
import { registerPages } from './register.js';

export type { AppsDeps } from './apps-common.js';
export { appTabs, type AppTab } from './apps-common.js';

/** The developer's applications (docs/portal/portal-apps.md): list, register, overview, keys, key managers. */
export function appsPages(deps: AppsDeps): PortalRoute[] {
  return [...appListPages(deps), ...registerPages(deps), ...keyPages(deps), ...overviewPages(deps), ...managerPages(deps)];
}
