import { clientScopeFor } from '../../../auth/clients/client-scope.js';
import { html } from '../../../auth/views/html.js';
import { csrfField } from '../../layout.js';
import { redirect } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { actionButton, adminForm, adminPage, adminRoute, field, formError, typed, type AdminDeps, type AdminRequest, type FormProblem } from './admin-kit.js';
import { FIELD_RULES } from './field-rules.js';

const SECTION = '/portal/admin/research';

/**
 * Which ResearchStudies each research partner may query (docs/research.md): grant and revoke
 * through StudyGrants, as `/api/clients/{id}/studies` and `fhirkeep study` do, the acting admin
 * recorded on the grant and in the security log.
 */
export function researchPages(deps: AdminDeps): PortalRoute[] {
  const view = async (req: AdminRequest, problem?: FormProblem) => {
    // The clients GET /api/clients answers this caller (an admin: every one), narrowed to research partners.
    const scope = clientScopeFor({ accountId: req.account.id, roles: req.account.roles });
    const [clients, grants] = await Promise.all([deps.clients.list(scope), deps.studies.list()]);
    const partners = clients.filter((c) => c.type === 'research');
    const form = 'grant';
    const chosen = typed(problem, form, 'client');
    return adminPage(
      'Research partners',
      SECTION,
      html`<section class="card" aria-labelledby="partners-heading"><h2 id="partners-heading">Authorized studies</h2>
${formError(problem, 'revoke')}
${
  partners.length === 0
    ? html`<p>No research partners are registered: a developer or admin registers one as an application of type research.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Research partner</th><th scope="col">Client id</th><th scope="col">Studies</th></tr></thead><tbody>${partners.map((p) => {
        const mine = grants.filter((g) => g.clientId === p.id);
        return html`<tr><td>${p.name}${p.revoked ? html` <span class="muted">(revoked)</span>` : ''}</td><td><code>${p.id}</code></td><td>${
          mine.length === 0
            ? 'None'
            : html`<ul>${mine.map(
                (g) =>
                  html`<li>ResearchStudy/${g.studyId} <span class="muted">since ${g.grantedAt.toISOString().slice(0, 10)}</span> ${actionButton({
                    action: `${SECTION}/revoke`,
                    csrf: req.csrf,
                    label: 'Revoke',
                    name: `Revoke study ${g.studyId} for ${p.name}`,
                    hidden: { client: p.id, study: g.studyId },
                    confirm: `Withdraw ${p.name}'s authorization for study ${g.studyId}? Its next request in that study is refused.`,
                    danger: true,
                  })}</li>`,
              )}</ul>`
        }</td></tr>`;
      })}</tbody></table></div>`
}</section>
<section class="card" aria-labelledby="grant-heading"><h2 id="grant-heading">Authorize a partner for a study</h2>
<p class="hint">A grant opens the records of the study's consenting subjects to the partner.</p>
${formError(problem, form)}
<form method="post" action="${SECTION}/grant">${csrfField(req.csrf)}
<label for="grant-client">Research partner</label><select id="grant-client" name="client" required><option value="">Choose a partner</option>${partners
        .filter((p) => !p.revoked)
        .map((p) => html`<option value="${p.id}"${chosen === p.id ? html` selected` : ''}>${p.name} (${p.id})</option>`)}</select>
${field({ form, name: 'study', label: 'Study', required: true, hint: 'The ResearchStudy id, or SYSTEM|VALUE of its identifier (e.g. https://clinicaltrials.gov|NCT00000001).', problem, rule: FIELD_RULES.study, check: 'study-known' })}
<button type="submit" class="primary">Grant</button>
</form></section>`,
      problem,
    );
  };

  return [
    adminRoute('GET', SECTION, (req) => view(req)),
    adminForm(`${SECTION}/grant`, 'grant', view, async (req, f) => {
      await deps.studies.grant(f.get('client') ?? '', f.get('study')?.trim() ?? '', req.account.id);
      return redirect(SECTION);
    }),
    adminForm(`${SECTION}/revoke`, 'revoke', view, async (req, f) => {
      await deps.studies.revoke(f.get('client') ?? '', f.get('study') ?? '', req.account.id);
      return redirect(SECTION);
    }),
  ];
}
