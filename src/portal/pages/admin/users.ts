import { ROLES, type Account } from '../../../auth/accounts/account.js';
import { findUser } from '../../../auth/accounts/find-user.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { csrfField } from '../../layout.js';
import { redirect } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { actionButton, adminForm, adminPage, adminRoute, field, formError, seg, type AdminDeps, type AdminRequest, type FormProblem } from './admin-kit.js';
import { FIELD_RULES } from './field-rules.js';

const SECTION = '/portal/admin/users';

/**
 * Users: the list, a new account, one account with its organizations and HIE profile, disabling.
 * The same AccountService calls as `/api/users` and `fhirkeep user`.
 */
export function userPages(deps: AdminDeps): PortalRoute[] {
  const list = async (req: AdminRequest, problem?: FormProblem) => {
    const users = await deps.accounts.list();
    return adminPage(
      'Users',
      SECTION,
      html`<section class="card" aria-labelledby="users-heading"><h2 id="users-heading">All users</h2>
<div class="table-scroll"><table><thead><tr><th scope="col">Email</th><th scope="col">Roles</th><th scope="col">Status</th></tr></thead><tbody>
${users.map((u) => html`<tr><td><a href="${SECTION}/${seg(u.id)}">${u.email}</a></td><td>${u.roles.join(', ')}</td><td>${u.disabled ? 'Disabled' : 'Active'}</td></tr>`)}
</tbody></table></div></section>
${createForm(req.csrf, problem)}`,
      problem,
    );
  };

  const show = async (req: AdminRequest, problem?: FormProblem) => {
    const account = await findUser(deps.accounts, req.params.id ?? '');
    const [memberships, hie] = await Promise.all([deps.accounts.organizationsOf(account.id), deps.hie.accounts.find(account.id)]);
    const hieLink = `/portal/admin/hie/users/${seg(account.id)}`;
    return adminPage(
      account.email,
      SECTION,
      html`<section class="card" aria-labelledby="account-heading"><h2 id="account-heading">Account</h2>
${details(account)}
${formError(problem, 'disable')}
${account.disabled ? html`<p class="notice">This account is disabled: it cannot sign in.</p>` : actionButton({ action: `${SECTION}/${seg(account.id)}/disable`, csrf: req.csrf, label: 'Disable this account', confirm: `Disable ${account.email}? They can no longer sign in, and their access tokens stop working.`, danger: true })}
</section>
<section class="card" aria-labelledby="orgs-heading"><h2 id="orgs-heading">Organizations and teams</h2>
${
  memberships.length === 0
    ? html`<p>Not a member of any organization or team.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Role</th></tr></thead><tbody>${memberships.map(
        (m) => html`<tr><td><a href="/portal/admin/organizations/${seg(m.organization.id)}">${m.organization.name}</a></td><td>${m.organization.kind}</td><td>${m.role}</td></tr>`,
      )}</tbody></table></div>`
}
<p><a href="/portal/admin/organizations">Add them to an organization</a></p></section>
<section class="card" aria-labelledby="hie-heading"><h2 id="hie-heading">HIE profile</h2>
<p>${hie.activatedAt === undefined ? 'Not activated: the HIE dialect refuses this account.' : 'Activated.'}</p>
${
  hie.profiles.length === 0
    ? html`<p>No HIE profiles.</p>`
    : html`<ul>${hie.profiles.map((p) => html`<li>${p.type} ${p.id}${p.catchments.length === 0 ? '' : html` (catchments ${p.catchments.join(', ')})`}</li>`)}</ul>`
}
<p>Groups: ${hie.groups.length === 0 ? 'none' : hie.groups.join(', ')}</p>
<p><a href="${hieLink}">Manage the HIE profile of ${account.email}</a></p></section>`,
      problem,
    );
  };

  return [
    adminRoute('GET', SECTION, (req) => list(req)),
    adminForm(SECTION, 'create', list, async (req, f) => {
      const made = await deps.accounts.create({
        email: f.get('email') ?? '',
        password: f.get('password') ?? '',
        roles: f.getAll('roles'),
        displayName: f.get('displayName') ?? undefined,
        patientId: f.get('patientId') ?? undefined,
        practitionerId: f.get('practitionerId') ?? undefined,
      });
      return redirect(`${SECTION}/${seg(made.id)}`);
    }),
    adminRoute('GET', `${SECTION}/:id`, (req) => show(req)),
    adminForm(`${SECTION}/:id/disable`, 'disable', show, async (req) => {
      const account = await deps.accounts.disable((await findUser(deps.accounts, req.params.id ?? '')).id);
      return redirect(`${SECTION}/${seg(account.id)}`);
    }),
  ];
}

function details(a: Account): SafeHtml {
  const rows: [string, string][] = [
    ['Email', a.email],
    ['Id', a.id],
    ['Roles', a.roles.join(', ')],
    ['Name', a.displayName ?? '—'],
    ['Patient', a.patientId === undefined ? '—' : `Patient/${a.patientId}`],
    ['Practitioner', a.practitionerId === undefined ? '—' : `Practitioner/${a.practitionerId}`],
    ['Status', a.disabled ? 'Disabled' : 'Active'],
  ];
  return html`<table><tbody>${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`;
}

function createForm(csrf: string, problem: FormProblem | undefined): SafeHtml {
  const form = 'create';
  const chosen = problem?.form === form ? problem.values.getAll('roles') : [];
  return html`<section class="card" aria-labelledby="create-heading"><h2 id="create-heading">Create a user</h2>
${formError(problem, form)}
<form method="post" action="${SECTION}">${csrfField(csrf)}
${field({ form, name: 'email', label: 'Email', required: true, autocomplete: 'off', problem, rule: FIELD_RULES.email, check: 'email-free' })}
${field({ form, name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters. Tell it to the user yourself; it is not shown again.', problem, secret: true, rule: FIELD_RULES.password })}
<fieldset><legend>Roles</legend>
${ROLES.map((r) => html`<label for="${form}-role-${r}"><input type="checkbox" id="${form}-role-${r}" name="roles" value="${r}"${chosen.includes(r) ? html` checked` : ''}> ${r}</label>`)}
</fieldset>
${field({ form, name: 'displayName', label: 'Display name (optional)', problem, rule: FIELD_RULES.displayName })}
${field({ form, name: 'patientId', label: 'Patient id', hint: 'For the patient role: the id of the Patient resource this person is.', problem, rule: FIELD_RULES.fhirId })}
${field({ form, name: 'practitionerId', label: 'Practitioner id', hint: 'For the practitioner role: the id of their Practitioner resource.', problem, rule: FIELD_RULES.fhirId })}
<button type="submit" class="primary">Create user</button>
</form></section>`;
}
