import { html } from '../../auth/views/html.js';
import { NAVIGATION } from '../layout.js';
import { page } from '../portal-page.js';
import type { PortalRoute } from '../portal-route.js';

const WHAT: Readonly<Record<string, string>> = {
  '/portal/apps': 'Register applications, manage their API keys, access filters and key managers, try requests and see their statistics.',
  '/portal/my-data': 'See and revoke which apps and services have access to your records, subscribe to services, and share with organizations.',
  '/portal/admin': 'Users, organizations and teams, content-type groups, research studies and partner authorizations, HIE profiles and catchments.',
  '/portal/account': 'Your email, roles, and password.',
};

/** The signed-in home: the sections this account may use. */
export function homePages(): PortalRoute[] {
  return [
    {
      method: 'GET',
      path: '/portal',
      access: 'signed-in',
      handle: async (req) => {
        const account = req.account;
        if (account === undefined) throw new Error('signed-in page without an account');
        const sections = NAVIGATION.filter((n) => n.href !== '/portal' && (n.roles === undefined || n.roles.some((r) => account.roles.includes(r))));
        return page(
          `Welcome${account.displayName === undefined ? '' : `, ${account.displayName}`}`,
          html`<div class="grid">${sections.map((s) => html`<section class="card"><h2><a href="${s.href}">${s.label}</a></h2><p>${WHAT[s.href] ?? ''}</p></section>`)}</div>`,
        );
      },
    },
  ];
}
