import type { Organization } from '../../../auth/accounts/organization.js';
import { handOverManagement, type ManagerReference } from '../../../auth/keys/hand-over.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { ServiceManager } from '../../../storage/auth/service-manager-store.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { actorOf, appPath, appRoute, appTabs, attempt, doneBox, field, param, problemBox, scopeOf, signedIn, type AppsDeps } from './apps-common.js';

async function describe(deps: AppsDeps, manager: ServiceManager): Promise<SafeHtml> {
  if (manager.kind === 'none') return html`Nobody: only admins and the operator (the CLI) manage its keys.`;
  if (manager.kind === 'account') {
    const account = await deps.accounts.find(manager.id);
    return html`The account <strong>${account?.email ?? manager.id}</strong>.`;
  }
  const organization = await deps.accounts.findOrganization(manager.id);
  const kind = organization?.kind === 'team' ? 'team' : 'organization';
  return html`Every member of the ${kind} <strong>${organization?.name ?? manager.id}</strong> (<code>${manager.id}</code>).`;
}

/** The organizations and teams to offer: an admin's are all of them, anyone else's their own memberships. */
async function offeredOrganizations(deps: AppsDeps, req: PortalRequest): Promise<Organization[]> {
  const account = signedIn(req);
  if (account.roles.includes('admin')) return deps.accounts.listOrganizations();
  return (await deps.accounts.organizationsOf(account.id)).map((m) => m.organization);
}

async function managersPage(deps: AppsDeps, req: PortalRequest, problem?: string): Promise<PortalResult> {
  const id = param(req, 'id');
  // The key service's rule, as `GET /api/clients/:id/manager`: the manager or an admin (403 otherwise).
  const manager = await deps.keys.managerOf(id, actorOf(req));
  const client = await deps.clients.find(id, scopeOf(req));
  const organizations = await offeredOrganizations(deps, req);
  const action = appPath(id, '/managers');
  const confirm = 'Hand key management over? Unless you belong to the new manager, you will no longer manage these keys.';
  return page(
    `Key managers · ${client?.name ?? `Client ${id}`}`,
    html`${appTabs(id, 'managers')}${doneBox(req)}
<section class="card" aria-labelledby="current-heading">
<h2 id="current-heading">Who manages the keys</h2>
<p>${await describe(deps, manager)}</p>
<p class="hint">The manager adds and revokes this application's API keys and may hand management on; admins always may. After a hand-over, the previous manager no longer may (unless a member of the new one).</p>
</section>
${problemBox(problem)}
<section class="card" aria-labelledby="org-heading">
<h2 id="org-heading">Hand over to an organization or team</h2>
<form method="post" action="${action}" data-confirm="${confirm}">
${csrfField(req.csrf)}<input type="hidden" name="to" value="organization">
<label for="organization">Organization or team</label>
<select id="organization" name="organization">
<option value="">— choose —</option>
${organizations.map((o) => html`<option value="${o.id}">${o.name} (${o.kind === 'team' ? 'team' : 'organization'})</option>`)}
</select>
<label for="organization_id">or its ID</label>
<input type="text" id="organization_id" name="organization_id" aria-describedby="organization-hint">
<p class="hint" id="organization-hint">Every member of it will manage the keys. A team is its own members, not its organization's.</p>
<button type="submit">Hand over to the organization</button>
</form>
</section>
<section class="card" aria-labelledby="account-heading">
<h2 id="account-heading">Hand over to an account</h2>
<form method="post" action="${action}" data-confirm="${confirm}">
${csrfField(req.csrf)}<input type="hidden" name="to" value="account">
<label for="account">Email</label>
<input type="email" id="account" name="account" required>
<button type="submit">Hand over to the account</button>
</form>
</section>`,
    { status: problem === undefined ? 200 : 400 },
  );
}

function reference(form: URLSearchParams | undefined): ManagerReference {
  if (field(form, 'to') === 'account') {
    const account = field(form, 'account');
    if (account === '') throw new FhirkeepError('bad-request', "Give the email of the account that will manage the keys");
    return { account };
  }
  const organization = field(form, 'organization_id') || field(form, 'organization');
  if (organization === '') throw new FhirkeepError('bad-request', 'Choose the organization or team that will manage the keys, or give its ID');
  return { organization };
}

/** `/portal/apps/:id/managers`: who manages a service's keys, and handing that over, as `client manager` and `PUT /api/clients/:id/manager` do. */
export function managerPages(deps: AppsDeps): PortalRoute[] {
  return [
    appRoute('GET', '/portal/apps/:id/managers', async (req) => managersPage(deps, req)),
    appRoute('POST', '/portal/apps/:id/managers', async (req) => {
      const id = param(req, 'id');
      const actor = actorOf(req);
      // A 404 here names the account or organization typed in (the client itself was found first).
      const result = await attempt(async () => handOverManagement(deps.keys, deps.accounts, id, reference(req.form), actor), [400, 404]);
      if ('problem' in result) return managersPage(deps, req, result.problem);
      // Who handed management away may no longer see this page: then the overview, or the list.
      const stillManager = await deps.keys.managerOf(id, actor).then(
        () => true,
        (e: unknown) => {
          if (e instanceof FhirkeepError && e.code === 'forbidden') return false;
          throw e;
        },
      );
      if (stillManager) return redirect(`${appPath(id, '/managers')}?done=manager-changed`);
      const owned = (await deps.clients.find(id, scopeOf(req))) !== undefined;
      return redirect(owned ? `${appPath(id)}?done=manager-changed` : '/portal/apps?done=manager-changed');
    }),
  ];
}
