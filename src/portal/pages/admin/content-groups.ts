import { groupTree, type GroupNode } from '../../../access/content/group-tree.js';
import { DEFAULT_GROUP_SYSTEM, type ContentGroup, type ContentType, type Taxonomy } from '../../../access/content/taxonomy.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { redirect } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { actionButton, adminForm, adminPage, adminRoute, constraints, field, formError, liveMessage, seg, typed, type AdminDeps, type AdminRequest, type FormProblem } from './admin-kit.js';
import { FIELD_RULES } from './field-rules.js';

const SECTION = '/portal/admin/content';
/** As many as `fhirkeep content search` prints: a search is for finding, not listing. */
const SEARCH_LIMIT = 50;

/**
 * Content-type groups: each group system's tree, a group's members, adding and removing groups
 * and members, searching content types. The taxonomy and TaxonomyAdmin of `/api/groups`,
 * `/api/content-types` and `fhirkeep group|content`.
 */
export function contentGroupPages(deps: AdminDeps): PortalRoute[] {
  const { taxonomy, taxonomyAdmin: admin } = deps;
  const groupPath = (system: string, name: string) => `${SECTION}/groups/${seg(system)}/${seg(name)}`;
  const findGroup = (system: string, name: string): ContentGroup => {
    const found = taxonomy.groups(system).find((g) => g.name === name);
    if (found === undefined) throw new FhirkeepError('not-found', `There is no group ${name} in group system ${system}`);
    return found;
  };

  const index = async (req: AdminRequest, problem?: FormProblem) => {
    const systems = taxonomy.groupSystems();
    const system = req.query.get('system') ?? (problem === undefined ? DEFAULT_GROUP_SYSTEM : typed(problem, 'group', 'system', DEFAULT_GROUP_SYSTEM));
    const groups = taxonomy.groups(system);
    const q = req.query.get('q') ?? '';
    const form = 'group';
    return adminPage(
      'Content groups',
      SECTION,
      html`<section class="card" aria-labelledby="tree-heading"><h2 id="tree-heading">Groups of system ${system}</h2>
${systems.length > 1 ? html`<nav class="tabs" aria-label="Group systems">${systems.map((s) => html`<a href="${SECTION}?system=${seg(s)}"${s === system ? html` aria-current="page"` : ''}>${s}</a>`)}</nav>` : ''}
${groups.length === 0 ? html`<p>This group system has no groups.</p>` : tree(groupTree(groups), (name) => groupPath(system, name))}
</section>
<section class="card" aria-labelledby="add-heading"><h2 id="add-heading">Add a group</h2>
${formError(problem, form)}
<form method="post" action="${SECTION}/groups">${csrfField(req.csrf)}
${field({ form, name: 'system', label: 'Group system', required: true, value: system, hint: 'A new name starts a new group system.', problem, rule: FIELD_RULES.groupName })}
${field({ form, name: 'name', label: 'Name', required: true, hint: "Letters, digits, '.', '_' and '-', e.g. sleep-data.", problem, rule: FIELD_RULES.groupName, check: 'group-free' })}
${field({ form, name: 'label', label: 'Label', required: true, hint: 'What people see, e.g. Sleep data.', problem, rule: FIELD_RULES.label })}
<label for="group-parent">Parent group (optional)</label><select id="group-parent" name="parent"><option value="">None: a top-level group</option>${groups.map((g) => html`<option value="${g.name}"${typed(problem, form, 'parent') === g.name ? html` selected` : ''}>${g.label} (${g.name})</option>`)}</select>
<label for="group-contents">Content types (optional)</label><p class="hint" id="group-contents-hint">Their names, separated by spaces or new lines, e.g. body/weight.</p>
<textarea id="group-contents" name="contents" aria-describedby="group-contents-hint group-contents-live" rows="3"${constraints(undefined, 'content-known')}>${typed(problem, form, 'contents')}</textarea>${liveMessage('group-contents')}
<button type="submit" class="primary">Add group</button>
</form></section>
${searchCard(taxonomy, SECTION, q, html`<input type="hidden" name="system" value="${system}">`)}`,
      problem,
    );
  };

  const group = async (req: AdminRequest, problem?: FormProblem) => {
    const system = req.params.system ?? '';
    const found = findGroup(system, req.params.name ?? '');
    const path = groupPath(system, found.name);
    const all = taxonomy.groups(system);
    const parent = found.parent === undefined ? undefined : all.find((g) => g.name === found.parent);
    const children = all.filter((g) => g.parent === found.name);
    const q = req.query.get('q') ?? '';
    const results = q.trim() === '' ? [] : taxonomy.search(q, SEARCH_LIMIT).filter((c) => !found.contents.includes(c.name));
    return adminPage(
      found.label,
      SECTION,
      html`<section class="card" aria-labelledby="group-heading"><h2 id="group-heading">Group</h2>
<table><tbody>
<tr><th scope="row">Name</th><td><code>${found.name}</code></td></tr>
<tr><th scope="row">Group system</th><td><a href="${SECTION}?system=${seg(system)}">${system}</a></td></tr>
<tr><th scope="row">Parent</th><td>${parent === undefined ? 'None (top level)' : html`<a href="${groupPath(system, parent.name)}">${parent.label}</a>`}</td></tr>
<tr><th scope="row">Subgroups</th><td>${children.length === 0 ? 'None' : children.map((c, i) => html`${i === 0 ? '' : ', '}<a href="${groupPath(system, c.name)}">${c.label}</a>`)}</td></tr>
</tbody></table>
${formError(problem, 'delete')}
${actionButton({ action: `${path}/delete`, csrf: req.csrf, label: 'Remove this group', confirm: `Remove the group ${found.label} and its subgroups? Their content types stay; access filters naming the group no longer match them.`, danger: true })}
</section>
<section class="card" aria-labelledby="members-heading"><h2 id="members-heading">Content types in this group</h2>
${formError(problem, 'remove')}
${
  found.contents.length === 0
    ? html`<p>None yet.</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Label</th><th scope="col">Resource type</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${found.contents.map((name) => {
        const c = taxonomy.content(name);
        return html`<tr><td><code>${name}</code></td><td>${c?.label ?? ''}</td><td>${c?.resourceType ?? ''}</td><td>${actionButton({ action: `${path}/members/remove`, csrf: req.csrf, label: 'Remove', name: `Remove ${name} from ${found.label}`, hidden: { content: name } })}</td></tr>`;
      })}</tbody></table></div>`
}
</section>
<section class="card" aria-labelledby="addm-heading"><h2 id="addm-heading">Add content types</h2>
<form method="get" action="${path}" role="search">
<label for="member-q">Find content types</label><input type="search" id="member-q" name="q" value="${q}">
<button type="submit">Search</button></form>
${formError(problem, 'add')}
<form method="post" action="${path}/members">${csrfField(req.csrf)}
${
  q.trim() === ''
    ? ''
    : results.length === 0
      ? html`<p>No content types outside this group match “${q}”.</p>`
      : html`<fieldset><legend>Matches for “${q}”</legend>${results.map((c) => html`<label for="pick-${c.name}"><input type="checkbox" id="pick-${c.name}" name="contents" value="${c.name}"> ${c.label} <code>${c.name}</code> <span class="muted">${c.resourceType}</span></label>`)}</fieldset>`
}
<label for="add-names">Or type their names</label><p class="hint" id="add-names-hint">Separated by spaces or new lines, e.g. body/weight.</p>
<textarea id="add-names" name="names" rows="2" aria-describedby="add-names-hint add-names-live"${constraints(undefined, 'content-known')}>${typed(problem, 'add', 'names')}</textarea>${liveMessage('add-names')}
<button type="submit" class="primary">Add to ${found.label}</button>
</form></section>`,
      problem,
    );
  };

  return [
    adminRoute('GET', SECTION, (req) => index(req)),
    adminForm(`${SECTION}/groups`, 'group', index, async (req, f) => {
      const system = f.get('system')?.trim() ?? '';
      const name = f.get('name')?.trim() ?? '';
      const parent = f.get('parent') ?? '';
      await admin.addGroup({ system, name, parent: parent === '' ? undefined : parent, label: f.get('label') ?? '', contents: names(f.get('contents')) });
      return redirect(groupPath(system, name));
    }),
    adminRoute('GET', `${SECTION}/groups/:system/:name`, (req) => group(req)),
    adminForm(`${SECTION}/groups/:system/:name/delete`, 'delete', group, async (req) => {
      await admin.deleteGroup(req.params.system ?? '', req.params.name ?? '');
      return redirect(`${SECTION}?system=${seg(req.params.system ?? '')}`);
    }),
    adminForm(`${SECTION}/groups/:system/:name/members`, 'add', group, async (req, f) => {
      const { system = '', name = '' } = req.params;
      await admin.addMembers(system, name, [...f.getAll('contents'), ...names(f.get('names'))]);
      return redirect(groupPath(system, name));
    }),
    adminForm(`${SECTION}/groups/:system/:name/members/remove`, 'remove', group, async (req, f) => {
      const { system = '', name = '' } = req.params;
      await admin.removeMember(system, name, f.get('content') ?? '');
      return redirect(groupPath(system, name));
    }),
  ];
}

/** Names typed into a text area, one per word. */
function names(text: string | null): string[] {
  return (text ?? '').split(/\s+/).filter((n) => n !== '');
}

function tree(nodes: readonly GroupNode[], href: (name: string) => string): SafeHtml {
  return html`<ul>${nodes.map(
    (n) =>
      html`<li><a href="${href(n.name)}">${n.label}</a> <code>${n.name}</code> <span class="muted">${n.contents.length} content type${n.contents.length === 1 ? '' : 's'}</span>${n.groups.length === 0 ? '' : tree(n.groups, href)}</li>`,
  )}</ul>`;
}

/** Content types whose name, label or codes match (the taxonomy's search, as `GET /api/content-types?q=`). */
function searchCard(taxonomy: Taxonomy, action: string, q: string, keep: SafeHtml): SafeHtml {
  const results: readonly ContentType[] = q.trim() === '' ? [] : taxonomy.search(q, SEARCH_LIMIT);
  return html`<section class="card" aria-labelledby="search-heading"><h2 id="search-heading">Search content types</h2>
<form method="get" action="${action}" role="search">${keep}
<label for="search-q">Name, label or code</label><input type="search" id="search-q" name="q" value="${q}">
<button type="submit">Search</button></form>
${
  q.trim() === ''
    ? ''
    : results.length === 0
      ? html`<p role="status">No content type matches “${q}”.</p>`
      : html`<div class="table-scroll"><table><caption class="muted">${results.length === SEARCH_LIMIT ? `The first ${SEARCH_LIMIT} matches` : `${results.length} match${results.length === 1 ? '' : 'es'}`}</caption><thead><tr><th scope="col">Name</th><th scope="col">Label</th><th scope="col">Resource type</th></tr></thead><tbody>${results.map(
          (c) => html`<tr><td><code>${c.name}</code></td><td>${c.label}</td><td>${c.resourceType}${c.dynamic ? html` <span class="muted">(registered automatically)</span>` : ''}</td></tr>`,
        )}</tbody></table></div>`
}</section>`;
}
