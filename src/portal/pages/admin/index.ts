import { html } from '../../../auth/views/html.js';
import type { PortalRoute } from '../../portal-route.js';
import { ADMIN_SECTIONS, adminPage, adminRoute, type AdminDeps } from './admin-kit.js';
import { contentGroupPages } from './content-groups.js';
import { hiePages } from './hie.js';
import { organizationPages } from './organizations.js';
import { researchPages } from './research.js';
import { userPages } from './users.js';

export type { AdminDeps } from './admin-kit.js';

const WHAT: Readonly<Record<string, string>> = {
  '/portal/admin/users': 'Create accounts, see their organizations and HIE profile, disable them.',
  '/portal/admin/organizations': 'Organizations and their identifiers, teams, and members with their roles.',
  '/portal/admin/content': 'The content-type groups access filters name: their trees and members.',
  '/portal/admin/research': 'Which research studies each research partner may query.',
  '/portal/admin/hie': "HIE profiles, catchments, groups and activation; organizations' HIE tokens.",
};

/** Every admin page (role admin): `/portal/admin` and its sections. */
export function adminPages(deps: AdminDeps): PortalRoute[] {
  return [
    adminRoute('GET', '/portal/admin', async () =>
      adminPage(
        'Admin',
        '/portal/admin',
        html`<div class="grid">${ADMIN_SECTIONS.map(([href, label]) => html`<section class="card"><h2><a href="${href}">${label}</a></h2><p>${WHAT[href] ?? ''}</p></section>`)}</div>`,
      ),
    ),
    ...userPages(deps),
    ...organizationPages(deps),
    ...contentGroupPages(deps),
    ...researchPages(deps),
    ...hiePages(deps),
  ];
}
