import { findUser } from '../../../auth/accounts/find-user.js';
import { parseIdentifier, validateMemberRole } from '../../../auth/accounts/organization-input.js';
import { MEMBER_ROLES, type Organization } from '../../../auth/accounts/organization.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { redirect } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { adminForm, adminPage, adminRoute, field, formError, seg, typed, type AdminDeps, type AdminRequest, type FormProblem } from './admin-kit.js';
import { FIELD_RULES } from './field-rules.js';

const SECTION = '/portal/admin/organizations';

/**
 * Organizations, their teams and members: the AccountService calls of `/api/organizations` and
 * `fhirkeep org` (an identifier is SYSTEM|VALUE there and here, parsed by the same function).
 */
export function organizationPages(deps: AdminDeps): PortalRoute[] {
  const find = async (id: string): Promise<Organization> => {
    const found = await deps.accounts.findOrganization(id);
    if (found === undefined) throw new FhirkeepError('not-found', `No organization ${id}`);
    return found;
  };

  const list = async (req: AdminRequest, problem?: FormProblem) => {
    const all = await deps.accounts.listOrganizations();
    const form = 'create';
    return adminPage(
      'Organizations',
      SECTION,
      html`<section class="card" aria-labelledby="orgs-heading"><h2 id="orgs-heading">Organizations and their teams</h2>
${
  all.length === 0
    ? html`<p>No organizations yet.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Identifier</th></tr></thead><tbody>${all.map(
        (o) =>
          html`<tr><td>${o.kind === 'team' ? html`<span aria-hidden="true">↳ </span>` : ''}<a href="${SECTION}/${seg(o.id)}">${o.name}</a></td><td>${o.kind}</td><td>${o.identifier === undefined ? '—' : `${o.identifier.system}|${o.identifier.value}`}</td></tr>`,
      )}</tbody></table></div>`
}</section>
<section class="card" aria-labelledby="create-heading"><h2 id="create-heading">Create an organization</h2>
${formError(problem, form)}
<form method="post" action="${SECTION}">${csrfField(req.csrf)}
${field({ form, name: 'name', label: 'Name', required: true, problem, rule: FIELD_RULES.organizationName })}
${field({ form, name: 'identifier', label: 'Identifier (optional)', hint: 'SYSTEM|VALUE, e.g. http://hl7.org/fhir/sid/us-npi|1234567893', problem, rule: FIELD_RULES.identifier, check: 'identifier-free' })}
<button type="submit" class="primary">Create organization</button>
</form></section>`,
      problem,
    );
  };

  const show = async (req: AdminRequest, problem?: FormProblem) => {
    const organization = await find(req.params.id ?? '');
    const path = `${SECTION}/${seg(organization.id)}`;
    const [all, members] = await Promise.all([deps.accounts.listOrganizations(), deps.accounts.members(organization.id)]);
    const parent = organization.parentId === undefined ? undefined : all.find((o) => o.id === organization.parentId);
    const teams = all.filter((o) => o.parentId === organization.id);
    return adminPage(
      organization.name,
      SECTION,
      html`<section class="card" aria-labelledby="about-heading"><h2 id="about-heading">${organization.kind === 'team' ? 'Team' : 'Organization'}</h2>
<table><tbody>
<tr><th scope="row">Name</th><td>${organization.name}</td></tr>
<tr><th scope="row">Id</th><td><code>${organization.id}</code></td></tr>
${organization.identifier === undefined ? '' : html`<tr><th scope="row">Identifier</th><td>${organization.identifier.system}|${organization.identifier.value}</td></tr>`}
${parent === undefined ? '' : html`<tr><th scope="row">Part of</th><td><a href="${SECTION}/${seg(parent.id)}">${parent.name}</a></td></tr>`}
</tbody></table></section>
${organization.kind === 'organization' ? teamsCard(req.csrf, path, teams, problem) : ''}
<section class="card" aria-labelledby="members-heading"><h2 id="members-heading">Members</h2>
${
  members.length === 0
    ? html`<p>No members yet.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Email</th><th scope="col">Role</th></tr></thead><tbody>${members.map(
        (m) => html`<tr><td><a href="/portal/admin/users/${seg(m.account.id)}">${m.account.email}</a></td><td>${m.role}</td></tr>`,
      )}</tbody></table></div>`
}
<h3>Add a member</h3>
<p class="hint">Adding someone who is a member already changes their role.</p>
${formError(problem, 'member')}
<form method="post" action="${path}/members">${csrfField(req.csrf)}
${field({ form: 'member', name: 'user', label: 'Email (or account id)', required: true, problem, check: 'user-known' })}
<label for="member-role">Role</label><select id="member-role" name="role">${MEMBER_ROLES.map((r) => html`<option value="${r}"${typed(problem, 'member', 'role') === r ? html` selected` : ''}>${r}</option>`)}</select>
<button type="submit" class="primary">Add member</button>
</form></section>`,
      problem,
    );
  };

  return [
    adminRoute('GET', SECTION, (req) => list(req)),
    adminForm(SECTION, 'create', list, async (req, f) => {
      const text = f.get('identifier')?.trim() ?? '';
      const made = await deps.accounts.createOrganization({ name: f.get('name') ?? '', identifier: text === '' ? undefined : parseIdentifier(text) });
      return redirect(`${SECTION}/${seg(made.id)}`);
    }),
    adminRoute('GET', `${SECTION}/:id`, (req) => show(req)),
    adminForm(`${SECTION}/:id/teams`, 'team', show, async (req, f) => {
      const team = await deps.accounts.createTeam(req.params.id ?? '', f.get('name') ?? '');
      return redirect(`${SECTION}/${seg(team.parentId ?? team.id)}`);
    }),
    adminForm(`${SECTION}/:id/members`, 'member', show, async (req, f) => {
      const organization = await find(req.params.id ?? '');
      const role = validateMemberRole(f.get('role') ?? 'member');
      await deps.accounts.addMember(organization.id, (await findUser(deps.accounts, f.get('user')?.trim() ?? '')).id, role);
      return redirect(`${SECTION}/${seg(organization.id)}`);
    }),
  ];
}

function teamsCard(csrf: string, path: string, teams: readonly Organization[], problem: FormProblem | undefined): SafeHtml {
  const form = 'team';
  return html`<section class="card" aria-labelledby="teams-heading"><h2 id="teams-heading">Teams</h2>
${teams.length === 0 ? html`<p>No teams yet.</p>` : html`<ul>${teams.map((t) => html`<li><a href="${SECTION}/${seg(t.id)}">${t.name}</a></li>`)}</ul>`}
${formError(problem, form)}
<form method="post" action="${path}/teams">${csrfField(csrf)}
${field({ form, name: 'name', label: 'New team name', required: true, problem, rule: FIELD_RULES.organizationName })}
<button type="submit" class="primary">Create team</button>
</form></section>`;
}
