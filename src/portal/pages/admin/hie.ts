import { findUser } from '../../../auth/accounts/find-user.js';
import { PROFILE_TYPES } from '../../../auth/dialects/hie/profile.js';
import { html } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, redirect } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { actionButton, adminForm, adminPage, adminRoute, field, formError, seg, typed, type AdminDeps, type AdminRequest, type FormProblem } from './admin-kit.js';
import { FIELD_RULES } from './field-rules.js';

const SECTION = '/portal/admin/hie';

/**
 * The HIE dialect (docs/hie.md): organizations' API tokens, and each user's profiles,
 * catchments, groups and activation. HieService calls, as `/api/hie/…`, `/api/users/{user}/hie…`,
 * `fhirkeep hie token` and `fhirkeep user profile|group|activate` make them.
 */
export function hiePages(deps: AdminDeps): PortalRoute[] {
  const { hie } = deps;
  const userPath = (id: string) => `${SECTION}/users/${seg(id)}`;

  const index = async (req: AdminRequest, problem?: FormProblem) => {
    const [clients, organizations, users] = await Promise.all([hie.clients.list(), deps.accounts.listOrganizations(), deps.accounts.list()]);
    const nameOf = (id: string) => organizations.find((o) => o.id === id)?.name ?? id;
    const form = 'token';
    return adminPage(
      'HIE',
      SECTION,
      html`<section class="card" aria-labelledby="tokens-heading"><h2 id="tokens-heading">Organizations' HIE tokens</h2>
<p class="hint">An organization's system calls the HIE API with its client_id and X-Auth-Token. A token is shown once, when it is created.</p>
${formError(problem, 'revoke')}
${
  clients.length === 0
    ? html`<p>No HIE tokens yet.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">client_id</th><th scope="col">Organization</th><th scope="col">Created (UTC)</th><th scope="col">Status</th></tr></thead><tbody>${clients.map(
        (c) =>
          html`<tr><td><code>${c.id}</code></td><td><a href="/portal/admin/organizations/${seg(c.organizationId)}">${nameOf(c.organizationId)}</a></td><td>${c.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</td><td>${
            c.revokedAt !== undefined
              ? 'Revoked'
              : html`Active ${actionButton({
                  action: `${SECTION}/tokens/revoke`,
                  csrf: req.csrf,
                  label: 'Revoke',
                  name: `Revoke HIE token ${c.id}`,
                  hidden: { client: c.id },
                  confirm: `Revoke the HIE token ${c.id} of ${nameOf(c.organizationId)}? Its calls and every session it signed in stop at once.`,
                  danger: true,
                })}`
          }</td></tr>`,
      )}</tbody></table></div>`
}
<h3>Create a token</h3>
${formError(problem, form)}
<form method="post" action="${SECTION}/tokens">${csrfField(req.csrf)}
<label for="token-organization">Organization</label><select id="token-organization" name="organization" required><option value="">Choose an organization</option>${organizations
        .filter((o) => o.kind === 'organization')
        .map((o) => html`<option value="${o.id}"${typed(problem, form, 'organization') === o.id ? html` selected` : ''}>${o.name}</option>`)}</select>
<button type="submit" class="primary">Create token</button>
</form></section>
<section class="card" aria-labelledby="users-heading"><h2 id="users-heading">Users' HIE profiles</h2>
${formError(problem, 'find')}
<form method="get" action="${SECTION}/users">
${field({ form: 'find', name: 'user', label: 'Email or account id', required: true, problem, check: 'user-known' })}
<button type="submit">Open</button></form>
<div class="table-scroll"><table><thead><tr><th scope="col">User</th><th scope="col">Roles</th></tr></thead><tbody>${users.map(
        (u) => html`<tr><td><a href="${userPath(u.id)}">${u.email}</a></td><td>${u.roles.join(', ')}</td></tr>`,
      )}</tbody></table></div></section>`,
      problem,
    );
  };

  const user = async (req: AdminRequest, problem?: FormProblem) => {
    const account = await hie.accounts.find(req.params.user ?? '');
    const path = userPath(account.id);
    const activated = account.activatedAt !== undefined;
    const form = 'profile';
    return adminPage(
      `HIE profile of ${account.email}`,
      SECTION,
      html`<section class="card" aria-labelledby="activation-heading"><h2 id="activation-heading">Activation</h2>
<p>${activated ? 'Activated: the HIE dialect signs this user in.' : 'Not activated: the HIE dialect refuses this user.'}${account.disabled ? ' The account itself is disabled.' : ''}</p>
${formError(problem, 'activation')}
${actionButton({
  action: `${path}/activation`,
  csrf: req.csrf,
  label: activated ? 'Deactivate' : 'Activate',
  hidden: { activated: activated ? 'false' : 'true' },
  ...(activated ? { confirm: `Deactivate ${account.email}? The HIE dialect refuses them from their next request.`, danger: true } : {}),
})}
<p><a href="/portal/admin/users/${seg(account.id)}">The account of ${account.email}</a></p></section>
<section class="card" aria-labelledby="profiles-heading"><h2 id="profiles-heading">Profiles</h2>
${formError(problem, 'remove-profile')}
${
  account.profiles.length === 0
    ? html`<p>No profiles yet.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Type</th><th scope="col">Id</th><th scope="col">Catchments</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${account.profiles.map(
        (p) =>
          html`<tr><td>${p.type}</td><td>${p.id}</td><td>${p.catchments.length === 0 ? '—' : p.catchments.join(', ')}</td><td>${actionButton({
            action: `${path}/profiles/remove`,
            csrf: req.csrf,
            label: 'Remove',
            name: `Remove the ${p.type} profile ${p.id}`,
            hidden: { type: p.type, id: p.id },
            confirm: `Remove the ${p.type} profile ${p.id}?`,
          })}</td></tr>`,
      )}</tbody></table></div>`
}
<h3>Add a profile</h3>
<p class="hint">A profile of the same type and id as one above replaces its catchments.</p>
${formError(problem, form)}
<form method="post" action="${path}/profiles">${csrfField(req.csrf)}
<label for="profile-type">Type</label><select id="profile-type" name="type">${PROFILE_TYPES.map((t) => html`<option value="${t}"${typed(problem, form, 'type') === t ? html` selected` : ''}>${t}</option>`)}</select>
${field({ form, name: 'id', label: 'Id', required: true, hint: "The provider's, facility's or admin's id in the partner's registries; a patient's Patient id.", problem, rule: FIELD_RULES.fhirId })}
${field({ form, name: 'catchments', label: 'Catchments', hint: 'Area codes, separated by spaces or commas: 2 to 12 digits, an even number (division 2, district 4, upazila 6 …). None for a patient.', problem, rule: FIELD_RULES.catchments })}
<button type="submit" class="primary">Save profile</button>
</form></section>
<section class="card" aria-labelledby="groups-heading"><h2 id="groups-heading">Groups</h2>
${formError(problem, 'remove-group')}
${
  account.groups.length === 0
    ? html`<p>In no group.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Group</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${account.groups.map(
        (g) => html`<tr><td>${g}</td><td>${actionButton({ action: `${path}/groups/remove`, csrf: req.csrf, label: 'Remove', name: `Remove from the group ${g}`, hidden: { group: g } })}</td></tr>`,
      )}</tbody></table></div>`
}
${formError(problem, 'group')}
<form method="post" action="${path}/groups">${csrfField(req.csrf)}
${field({ form: 'group', name: 'group', label: 'Add to a group', required: true, hint: 'e.g. MCI Admin, API Consumer', problem, rule: FIELD_RULES.hieGroup })}
<button type="submit" class="primary">Add group</button>
</form></section>`,
      problem,
    );
  };

  /** A change to a user's HIE state, then back to their page. */
  const change = (action: string, form: string, apply: (user: string, f: URLSearchParams) => Promise<unknown>): PortalRoute =>
    adminForm(`${SECTION}/users/:user/${action}`, form, user, async (req, f) => {
      await apply(req.params.user ?? '', f);
      return redirect(userPath((await findUser(deps.accounts, req.params.user ?? '')).id));
    });

  return [
    adminRoute('GET', SECTION, (req) => index(req)),
    adminRoute('GET', `${SECTION}/users`, async (req) => {
      const ref = req.query.get('user')?.trim() ?? '';
      try {
        return redirect(userPath((await findUser(deps.accounts, ref)).id));
      } catch (e) {
        if (!(e instanceof FhirkeepError) || e.code !== 'not-found') throw e;
        return index(req, { form: 'find', message: e.message, status: 404, values: req.query });
      }
    }),
    adminForm(`${SECTION}/tokens`, 'token', index, async (req, f) => {
      const { client, token } = await hie.clients.create(f.get('organization') ?? '');
      const organization = await deps.accounts.findOrganization(client.organizationId);
      // Answered here, not after a redirect: the token exists only in this response.
      return page(
        'HIE token created',
        html`<div class="card">
<p class="notice" role="status">Copy the token now: it is shown only this once. Fhirkeep keeps only its hash.</p>
<table><tbody>
<tr><th scope="row">Organization</th><td>${organization?.name ?? client.organizationId}</td></tr>
<tr><th scope="row">client_id</th><td><code>${client.id}</code></td></tr>
</tbody></table>
<p><strong>X-Auth-Token</strong></p>
<div class="secret"><code id="hie-token">${token}</code><button type="button" data-copy="hie-token">Copy</button></div>
<p><a href="${SECTION}">Back to HIE</a></p>
</div>`,
        { status: 201 },
      );
    }),
    adminForm(`${SECTION}/tokens/revoke`, 'revoke', index, async (req, f) => {
      await hie.clients.revoke(f.get('client') ?? '');
      return redirect(SECTION);
    }),
    adminRoute('GET', `${SECTION}/users/:user`, (req) => user(req)),
    change('activation', 'activation', (u, f) => {
      const value = f.get('activated');
      if (value !== 'true' && value !== 'false') throw new FhirkeepError('bad-request', 'activated: true or false');
      return hie.accounts.setActivated(u, value === 'true');
    }),
    change('profiles', 'profile', (u, f) =>
      hie.accounts.putProfile(u, { type: f.get('type') ?? '', id: f.get('id') ?? '', catchments: (f.get('catchments') ?? '').split(/[\s,]+/).filter((c) => c !== '') }),
    ),
    change('profiles/remove', 'remove-profile', (u, f) => hie.accounts.removeProfile(u, f.get('type') ?? '', f.get('id') ?? '')),
    change('groups', 'group', (u, f) => hie.accounts.addGroup(u, f.get('group') ?? '')),
    change('groups/remove', 'remove-group', (u, f) => hie.accounts.removeGroup(u, f.get('group') ?? '')),
  ];
}
