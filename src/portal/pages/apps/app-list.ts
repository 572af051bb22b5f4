import { html } from '../../../auth/views/html.js';
import { page } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { actorOf, appPath, appRoute, doneBox, scopeOf, signedIn, TYPE_LABELS, when, type AppsDeps } from './apps-common.js';

/**
 * `/portal/apps`: the caller's applications (an admin's: all), as `GET /api/clients` lists them,
 * and the services whose keys the caller manages without owning them (`GET /api/managed-clients`).
 */
export function appListPages(deps: AppsDeps): PortalRoute[] {
  return [
    appRoute('GET', '/portal/apps', async (req) => {
      const admin = signedIn(req).roles.includes('admin');
      const clients = await deps.clients.list(scopeOf(req));
      // An admin sees everyone's: the owner's email says whose (one query, not one per row).
      const emails = admin ? new Map((await deps.accounts.list()).map((a) => [a.id, a.email])) : new Map<string, string>();
      // Services handed to this account or its teams: their keys, not the rest, are this account's to manage.
      const owned = new Set(clients.map((c) => c.id));
      const managed = admin ? [] : (await deps.keys.managedBy(actorOf(req))).filter((c) => !owned.has(c.id));
      const rows = clients.map(
        (c) => html`<tr>
<td><a href="/portal/apps/${encodeURIComponent(c.id)}">${c.name}</a></td>
<td>${TYPE_LABELS[c.type]}</td>
<td><code>${c.id}</code></td>
${admin ? html`<td>${c.ownerAccount === undefined ? html`<span class="muted">none (CLI)</span>` : (emails.get(c.ownerAccount) ?? c.ownerAccount)}</td>` : ''}
<td>${when(c.createdAt)}</td>
<td>${c.revoked ? html`<strong>Revoked</strong>` : 'Active'}</td>
</tr>`,
      );
      return page(
        'Applications',
        html`${doneBox(req)}<section class="card" aria-labelledby="apps-heading">
<h2 id="apps-heading">${admin ? 'All applications' : 'Your applications'}</h2>
<p><a class="button primary" href="/portal/apps/new">Register an application</a></p>
${
clients.length === 0
  ? html`<p>No applications yet.</p>`
  : html`<div class="table-scroll" role="region" aria-label="Applications" tabindex="0"><table>
<caption class="muted">${clients.length} application${clients.length === 1 ? '' : 's'}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Client ID</th>${admin ? html`<th scope="col">Owner</th>` : ''}<th scope="col">Created</th><th scope="col">Status</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
</section>
${
managed.length === 0
  ? ''
  : html`<section class="card" aria-labelledby="managed-heading">
<h2 id="managed-heading">Services whose keys you manage</h2>
<p class="hint">Handed to you or to a team or organization you belong to.</p>
<div class="table-scroll" role="region" aria-label="Managed services" tabindex="0"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Client ID</th><th scope="col">Status</th></tr></thead>
<tbody>${managed.map(
      (c) => html`<tr><td><a href="${appPath(c.id, '/keys')}">${c.name}</a></td><td>${TYPE_LABELS[c.type]}</td><td><code>${c.id}</code></td><td>${c.revoked ? html`<strong>Revoked</strong>` : 'Active'}</td></tr>`,
    )}</tbody>
</table></div>
</section>`
}`,
      );
    }),
  ];
}
