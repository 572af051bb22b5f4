import type { Taxonomy } from '../../../access/content/taxonomy.js';
import { WRITE_MODES, type WriteMode } from '../../../access/filter/access-filter.js';
import type { AccessFilterView, CheckedAccessFilter } from '../../../access/filter/filter-service.js';
import type { ClientReach, RegisteredClient } from '../../../auth/clients/client.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { assetUrl } from '../../assets.js';
import { csrfField } from '../../layout.js';
import { page, type PortalResult } from '../../portal-page.js';
import type { GuidedForm } from './guided-form.js';
import { guidedBlocks, type BlockResults } from './guided-view.js';

export const WRITE_MODE_WORDS: Readonly<Record<WriteMode, string>> = {
  none: 'none: write nothing',
  update: 'update: update records it can read',
  create: 'create: create and update; what it writes must pass the filter',
  any: 'any: create, update and delete wherever its consents reach',
};

export const REACH_WORDS: Readonly<Record<ClientReach, string>> = {
  consented: 'consented: the records the users’ consents share',
  all: 'all: every record (an institution’s own systems)',
};

/** What the editor holds: the blocks of the guided form, or the JSON text of the expert one. */
export type EditorState = { readonly mode: 'guided'; readonly form: GuidedForm; readonly results?: BlockResults } | { readonly mode: 'expert'; readonly text: string };

/** A check of what the editor holds: the service's answer, or its error message. */
export type CheckOutcome = { readonly checked: CheckedAccessFilter } | { readonly error: string };

export interface EditorContext {
  readonly client: RegisteredClient;
  /** The settings as saved now. */
  readonly saved: AccessFilterView;
  readonly admin: boolean;
  readonly csrf: string;
  readonly taxonomy: Taxonomy;
  readonly writeMode: WriteMode;
  readonly reach: ClientReach;
  readonly state: EditorState;
  readonly outcome?: CheckOutcome | undefined;
  /** A message above the editor (saved, nothing changed, why the guided editor cannot open a filter). */
  readonly notice?: SafeHtml | undefined;
}

export function filterPath(clientId: string): string {
  return `/portal/apps/${encodeURIComponent(clientId)}/filter`;
}

/**
 * The data access filter editor: settings and actions first (Check is the form's default button,
 * so Enter in a text field checks), then the filter, guided or as JSON, and the filter in plain
 * words beside it, as the consent page will show it.
 */
export function editorPage(ctx: EditorContext): PortalResult {
  const { client, state } = ctx;
  const error = ctx.outcome !== undefined && 'error' in ctx.outcome;
  const switchTo = state.mode === 'guided' ? html`<button type="submit" name="action" value="expert">Edit as JSON (expert mode)</button>` : html`<button type="submit" name="action" value="guided">Edit with the guided editor</button>`;
  return page(
    `Data access filter: ${client.name}`,
    html`<link rel="stylesheet" href="${assetUrl('filter-editor.css')}">
<p><a href="/portal/apps/${encodeURIComponent(client.id)}">Back to ${client.name}</a></p>
${ctx.notice ?? ''}
<form method="post" action="${filterPath(client.id)}" class="filter-editor" data-filter-editor data-client="${client.id}" novalidate>
${csrfField(ctx.csrf)}<input type="hidden" name="mode" value="${state.mode}">
<div class="filter-layout">
<div class="filter-main">
<section class="card" aria-labelledby="settings-title">
<h2 id="settings-title">Settings</h2>
<p class="muted">${state.mode === 'guided' ? 'Guided editor' : 'Expert mode: the filter as JSON'} · saved version ${ctx.saved.filterVersion}</p>
<label for="write-mode">Write mode</label>
<select id="write-mode" name="write_mode">${WRITE_MODES.map((m) => html`<option value="${m}"${m === ctx.writeMode ? html` selected` : ''}>${WRITE_MODE_WORDS[m]}</option>`)}</select>
${
  ctx.admin
    ? html`<label for="reach">Reach</label><select id="reach" name="reach">${(['consented', 'all'] as const).map((r) => html`<option value="${r}"${r === ctx.reach ? html` selected` : ''}>${REACH_WORDS[r]}</option>`)}</select>`
    : html`<p><strong>Reach:</strong> ${REACH_WORDS[ctx.reach]} <span class="muted">(only an admin changes it)</span></p>`
}
<div class="actions"><button type="submit" name="action" value="check">Check</button><button type="submit" class="primary" name="action" value="save">Save…</button>${switchTo}</div>
</section>
${state.mode === 'guided' ? guidedBlocks(state.form, ctx.taxonomy, state.results) : expertField(state.text, error)}
</div>
${plainWords(ctx)}
</div>
</form>`,
    { status: error ? 400 : 200 },
  );
}

function expertField(text: string, invalid: boolean): SafeHtml {
  return html`<section class="card" aria-labelledby="json-title">
<h2 id="json-title">The filter as JSON</h2>
<label for="filter-json">Filter JSON</label>
<p class="hint" id="filter-json-hint">The filter language of docs/access-filters.md: keys outside <code>$or</code> apply to every block; <code>null</code> is no filter. Checked by the server as you type.</p>
<textarea id="filter-json" name="filter_json" rows="18" spellcheck="false" autocapitalize="off" aria-describedby="filter-json-hint check-result"${invalid ? html` aria-invalid="true"` : ''}>${text}</textarea>
</section>`;
}

/** The filter in the consent page's words: of the last check, or as saved. The page script fills the same element live. */
function plainWords(ctx: EditorContext): SafeHtml {
  const { outcome } = ctx;
  let body: SafeHtml;
  if (outcome !== undefined && 'error' in outcome) {
    body = html`<p class="error" role="alert">${outcome.error}</p>`;
  } else if (outcome !== undefined) {
    const c = outcome.checked;
    body = html`<p class="success">Valid. ${c.changed ? 'Saving it makes every user of the app confirm again.' : 'It is the saved filter: saving changes nothing.'}</p>
${description(c.filter, c.description)}${scopes(c.impliedScopes)}`;
  } else if (ctx.saved.problem !== undefined) {
    body = html`<p class="error" role="alert">The saved filter no longer reads, so it lets nothing through until it is saved again: ${ctx.saved.problem}</p>`;
  } else {
    body = html`<p class="muted">As saved (version ${ctx.saved.filterVersion}):</p>${description(ctx.saved.filter, ctx.saved.description)}${scopes(ctx.saved.impliedScopes)}`;
  }
  return html`<aside class="card plain-words" aria-labelledby="plain-words-title">
<h2 id="plain-words-title">In plain words</h2>
<p class="hint">What users are asked to confirm, one line per block.</p>
<div id="check-result" aria-live="polite">${body}</div>
</aside>`;
}

export function description(filter: unknown, lines: readonly string[]): SafeHtml {
  if (filter === null || filter === undefined) return html`<p>No filter: the app reaches what the users’ consents and its scopes allow.</p>`;
  return html`<ul class="description">${lines.map((l) => html`<li>${l}</li>`)}</ul>`;
}

function scopes(implied: readonly string[]): SafeHtml {
  return html`<p class="hint">Implied scopes: ${implied.map((s, i) => html`${i === 0 ? '' : ' '}<code>${s}</code>`)}</p>`;
}
