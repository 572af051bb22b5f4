import type { ClientScope } from '../../../auth/clients/client-registry.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { callerClientScope } from '../../../http/client-api-routes.js';
import type { PortalRequest } from '../../portal-page.js';

/** The clients the signed-in account may reach, by the same rule as /api/clients (another developer's: 404). */
export function portalClientScope(req: PortalRequest): ClientScope {
  if (req.account === undefined) throw new Error('an application page without an account');
  return callerClientScope({ accountId: req.account.id, roles: req.account.roles });
}

/** The pages of one application, as tabs (the overview and the others come from the apps pages). */
export function appTabs(clientId: string, current: 'debugger' | 'statistics'): SafeHtml {
  const base = `/portal/apps/${encodeURIComponent(clientId)}`;
  const tab = (href: string, label: string, here: boolean) => html`<a href="${href}"${here ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="tabs" aria-label="Application">${tab(base, 'Overview', false)}${tab(`${base}/debugger`, 'API debugger', current === 'debugger')}${tab(`${base}/statistics`, 'Statistics', current === 'statistics')}</nav>`;
}
