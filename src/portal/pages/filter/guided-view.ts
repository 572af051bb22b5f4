import type { ContentGroup, ContentType, Taxonomy } from '../../../access/content/taxonomy.js';
import { DEFAULT_GROUP_SYSTEM } from '../../../access/content/taxonomy.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { field, type GuidedForm } from './guided-form.js';
import { codingLine, type BlockKey, type GuidedBlock } from './guided-filter.js';

/** Search results to show under one block (the no-script Search button). */
export interface BlockResults {
  readonly block: number;
  readonly found: readonly ContentType[];
}

/** The guided editor's blocks: every key of the language as form fields, content types and groups picked from the taxonomy. */
export function guidedBlocks(form: GuidedForm, taxonomy: Taxonomy, results: BlockResults | undefined): SafeHtml {
  const single = form.blocks.length === 1;
  return html`<fieldset class="card plain">
<legend><h2 class="legend">Filter</h2></legend>
<p class="choice"><input type="radio" id="filter-none" name="filter" value="none"${form.on ? '' : html` checked`}><label for="filter-none">No filter: the app reaches what the users’ consents and its scopes allow</label></p>
<p class="choice"><input type="radio" id="filter-on" name="filter" value="blocks"${form.on ? html` checked` : ''}><label for="filter-on">Only records matching ${single ? 'this block' : 'one of these blocks'}</label></p>
<p class="hint">Within a block every field narrows what matches; a field left empty does not restrict.</p>
</fieldset>
<input type="hidden" name="blocks" value="${form.blocks.length}">
${form.blocks.map((block, i) => blockFields(block, i, form, taxonomy, results?.block === i ? results.found : undefined))}
<p><button type="submit" name="action" value="add">Add a block</button></p>`;
}

function blockFields(block: GuidedBlock, i: number, form: GuidedForm, taxonomy: Taxonomy, found: readonly ContentType[] | undefined): SafeHtml {
  const id = (name: string) => `b${i}-${name}`;
  const list = (key: BlockKey) => block[key] ?? [];
  const selected = list('content');
  const shown = found?.filter((c) => !selected.includes(c.name));
  const apps = list('app');
  const owner = list('owner')[0] ?? 'all';
  const publicData = list('public')[0] ?? '';
  const textField = (key: BlockKey, label: string, hint: string, value: string) =>
    html`<label for="${id(key)}">${label}</label><p class="hint" id="${id(key)}-hint">${hint}</p><input type="text" id="${id(key)}" name="${field(i, key)}" value="${value}" aria-describedby="${id(key)}-hint">`;
  const codingField = (key: BlockKey, label: string, hint: string) =>
    html`<label for="${id(key)}">${label}</label><p class="hint" id="${id(key)}-hint">${hint}</p><textarea id="${id(key)}" name="${field(i, key)}" rows="2" spellcheck="false" aria-describedby="${id(key)}-hint">${list(key).map(codingLine).join('\n')}</textarea>`;
  return html`<fieldset class="card block" id="${id('block')}">
<legend><h2 class="legend">Block ${i + 1}${form.blocks.length > 1 ? html` <span class="muted">of ${form.blocks.length}</span>` : ''}</h2></legend>
<h3>What records</h3>
<fieldset class="plain"><legend>Content types</legend>
<ul class="choices" id="${id('selected')}">${selected.map((name, k) => contentChoice(i, `${id('c')}${k}`, name, taxonomy.content(name), true))}</ul>
${selected.length === 0 ? html`<p class="hint">None chosen: any content type (unless a group, a resource type or a code narrows it).</p>` : ''}
<label for="${id('q')}">Search content types</label>
<div class="search-row"><input type="search" id="${id('q')}" name="${field(i, 'q')}" value="${form.queries[i] ?? ''}" data-search="${i}" autocomplete="off" aria-controls="${id('results')}"><button type="submit" name="action" value="search:${i}">Search</button></div>
<ul class="choices results" id="${id('results')}" aria-live="polite" aria-label="Content types found">${
    shown === undefined
      ? ''
      : shown.length === 0
        ? html`<li class="muted">No other content type matches.</li>`
        : shown.map((c, k) => contentChoice(i, `${id('r')}${k}`, c.name, c, false))
  }</ul>
</fieldset>
${groupFields(block, i, taxonomy)}
${textField('format', 'Resource types', 'Comma-separated R4 types, e.g. Observation, Patient; empty: any type.', list('format').map((f) => (f.startsWith('fhir/') ? f.slice(5) : f)).join(', '))}
${codingField('code', 'Codes', 'One a line as system|code, e.g. http://loinc.org|29463-7; each code must belong to one of the block’s content types, if it names any.')}
<h3>Whose records</h3>
<fieldset class="plain"><legend>Owner</legend>
<p class="choice"><input type="radio" id="${id('owner-all')}" name="${field(i, 'owner')}" value="all"${owner === 'self' ? '' : html` checked`}><label for="${id('owner-all')}">The user’s own records and those shared with them</label></p>
<p class="choice"><input type="radio" id="${id('owner-self')}" name="${field(i, 'owner')}" value="self"${owner === 'self' ? html` checked` : ''}><label for="${id('owner-self')}">Only the user’s own records</label></p>
</fieldset>
<fieldset class="plain"><legend>Written by</legend>
<p class="choice"><input type="checkbox" id="${id('app-self')}" name="${field(i, 'app-self')}" value="1"${apps.includes('self') ? html` checked` : ''}><label for="${id('app-self')}">This app</label></p>
${textField('app', 'Other apps', 'Client ids, comma-separated. Nothing here and “This app” unticked: records written by any app.', apps.filter((a) => a !== 'self').join(', '))}
</fieldset>
<label for="${id('public')}">Public records</label>
<select id="${id('public')}" name="${field(i, 'public')}">
<option value=""${publicData === '' ? html` selected` : ''}>No public records</option>
<option value="also"${publicData === 'also' ? html` selected` : ''}>Also public records</option>
<option value="only"${publicData === 'only' ? html` selected` : ''}>Only public records</option>
</select>
<h3>When</h3>
<p class="hint">Bounds are exclusive; a date is midnight UTC.</p>
<div class="dates">
${dateField(i, 'created-after', 'Created after', list('created-after')[0])}
${dateField(i, 'created-before', 'Created before', list('created-before')[0])}
${dateField(i, 'updated-after', 'Updated after', list('updated-after')[0])}
${dateField(i, 'updated-before', 'Updated before', list('updated-before')[0])}
</div>
<details${list('tag').length + list('allow-tag').length + list('add-tag').length > 0 ? html` open` : ''}><summary>Security labels</summary>
${codingField('tag', 'Labels a record must all carry', 'One a line as system|code.')}
${codingField('allow-tag', 'Labels the app may set on what it writes', 'One a line as system|code.')}
${codingField('add-tag', 'Labels stamped on everything the app creates', 'One a line as system|code.')}
</details>
${form.blocks.length > 1 ? html`<p><button type="submit" name="action" value="remove:${i}">Remove block ${i + 1}</button></p>` : ''}
</fieldset>`;
}

function contentChoice(block: number, id: string, name: string, content: ContentType | undefined, checked: boolean): SafeHtml {
  const about = content === undefined ? html`<span class="muted">(${name}: no such content type)</span>` : html`<span class="muted">(${name}, ${content.resourceType})</span>`;
  return html`<li><input type="checkbox" id="${id}" name="${field(block, 'content')}" value="${name}"${checked ? html` checked` : ''}><label for="${id}">${content?.label ?? name} ${about}</label></li>`;
}

/** The groups of the block's group system as a tree: tick to include, tick "leave out" on a subgroup to exclude it. */
function groupFields(block: GuidedBlock, i: number, taxonomy: Taxonomy): SafeHtml {
  const system = block['group-system']?.[0] ?? DEFAULT_GROUP_SYSTEM;
  const included = block.group ?? [];
  const excluded = block['group-exclude'] ?? [];
  const groups = taxonomy.groups(system);
  const children = new Map<string | undefined, ContentGroup[]>();
  for (const g of groups) children.set(g.parent, [...(children.get(g.parent) ?? []), g]);
  const tree = (parent: string | undefined): SafeHtml => {
    const level = children.get(parent) ?? [];
    if (level.length === 0) return html``;
    return html`<ul class="choices tree">${level.map((g) => {
      const gid = `b${i}-g-${g.name}`;
      return html`<li><input type="checkbox" id="${gid}" name="${field(i, 'group')}" value="${g.name}"${included.includes(g.name) ? html` checked` : ''}><label for="${gid}">${g.label}</label>${
        g.parent === undefined
          ? ''
          : html` <span class="exclude"><input type="checkbox" id="${gid}-x" name="${field(i, 'group-exclude')}" value="${g.name}"${excluded.includes(g.name) ? html` checked` : ''}><label for="${gid}-x">leave out</label></span>`
      }${tree(g.name)}</li>`;
    })}</ul>`;
  };
  const known = new Set(groups.map((g) => g.name));
  const unknown = [...included.map((g) => ['group', g] as const), ...excluded.map((g) => ['group-exclude', g] as const)].filter(([, g]) => !known.has(g));
  const systems = [...new Set([DEFAULT_GROUP_SYSTEM, ...taxonomy.groupSystems(), system])].sort();
  return html`<details${included.length + excluded.length > 0 ? html` open` : ''}><summary>Groups${included.length > 0 ? ` (${included.length} chosen)` : ''}</summary>
<p class="hint">A group includes its subgroups; every content type an admin adds to it later is included too.</p>
${
  systems.length > 1
    ? html`<label for="b${i}-group-system">Group system</label><p class="hint" id="b${i}-group-system-hint">Another system lists its groups after Check.</p><select id="b${i}-group-system" name="${field(i, 'group-system')}" aria-describedby="b${i}-group-system-hint">${systems.map((s) => html`<option${s === system ? html` selected` : ''}>${s}</option>`)}</select>`
    : html`<input type="hidden" name="${field(i, 'group-system')}" value="${system}">`
}
${tree(undefined)}
${unknown.length === 0 ? '' : html`<ul class="choices">${unknown.map(([key, g], k) => html`<li><input type="checkbox" id="b${i}-gu${k}" name="${field(i, key)}" value="${g}" checked><label for="b${i}-gu${k}">${g} <span class="muted">(${key === 'group' ? '' : 'left out, '}not a group of ${system})</span></label></li>`)}</ul>`}
</details>`;
}

/** A native date picker for a plain date; a text field for a date-time or epoch milliseconds, so nothing is lost. */
function dateField(i: number, key: BlockKey, label: string, value: string | undefined): SafeHtml {
  const id = `b${i}-${key}`;
  const plain = value === undefined || /^\d{4}-\d{2}-\d{2}$/.test(value);
  return html`<p><label for="${id}">${label}</label><input type="${plain ? 'date' : 'text'}" id="${id}" name="${field(i, key)}" value="${value ?? ''}"></p>`;
}
