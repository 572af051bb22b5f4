import type { AccessFilterView, CheckedAccessFilter } from '../../../access/filter/filter-service.js';
import type { RegisteredClient } from '../../../auth/clients/client.js';
import { html } from '../../../auth/views/html.js';
import { assetUrl } from '../../assets.js';
import { csrfField } from '../../layout.js';
import { page, type PortalResult } from '../../portal-page.js';
import { description, filterPath, REACH_WORDS, WRITE_MODE_WORDS } from './editor-view.js';

export interface ConfirmContext {
  readonly client: RegisteredClient;
  readonly saved: AccessFilterView;
  readonly checked: CheckedAccessFilter;
  /** The filter as the editor holds it (JSON text), carried to the save. */
  readonly text: string;
  /** Whether the reach is sent (an admin's form). */
  readonly sendReach: boolean;
  /** The editor to go back to. */
  readonly mode: 'guided' | 'expert';
  readonly csrf: string;
  readonly problem?: string | undefined;
}

/**
 * The step before saving a changed filter (issue 9: "saving asks whether to log out all users"):
 * before and after in plain words, and the choice, which has no default. Either way the new
 * version makes every user confirm again.
 */
export function confirmPage(ctx: ConfirmContext): PortalResult {
  const { client, saved, checked } = ctx;
  return page(
    `Save the data access filter of ${client.name}?`,
    html`<link rel="stylesheet" href="${assetUrl('filter-editor.css')}">
<form method="post" action="${filterPath(client.id)}/save" class="filter-editor">
${csrfField(ctx.csrf)}
<input type="hidden" name="filter_json" value="${ctx.text}">
<input type="hidden" name="write_mode" value="${checked.writeMode}">
${ctx.sendReach ? html`<input type="hidden" name="reach" value="${checked.reach}">` : ''}
<input type="hidden" name="mode" value="${ctx.mode}">
<div class="grid">
<section class="card"><h2>Now (version ${saved.filterVersion})</h2>${description(saved.filter, saved.description)}<p><strong>Write mode:</strong> ${WRITE_MODE_WORDS[saved.writeMode]}</p><p><strong>Reach:</strong> ${REACH_WORDS[saved.reach]}</p></section>
<section class="card"><h2>After saving (version ${saved.filterVersion + 1})</h2>${description(checked.filter, checked.description)}<p><strong>Write mode:</strong> ${WRITE_MODE_WORDS[checked.writeMode]}</p><p><strong>Reach:</strong> ${REACH_WORDS[checked.reach]}</p></section>
</div>
<div class="card">
<p class="notice">Every user of ${client.name} must confirm the new filter before the app sees their data again: their next sign-in to the app shows the consent page.</p>
${ctx.problem === undefined ? '' : html`<p class="error" role="alert">${ctx.problem}</p>`}
<fieldset>
<legend>Log out all users of ${client.name} now?</legend>
<p><input type="radio" id="logout-yes" name="logout" value="yes" required><label for="logout-yes" class="inline">Yes, log them out now</label></p>
<p class="hint">Their access and refresh tokens stop working at once; each signs in again and confirms the new filter.</p>
<p><input type="radio" id="logout-no" name="logout" value="no" required><label for="logout-no" class="inline">No, keep them signed in</label></p>
<p class="hint">Their tokens keep working, but the app sees none of their data until each confirms the new filter.</p>
</fieldset>
<button type="submit" class="primary" name="action" value="save">Save the filter</button><button type="submit" name="action" value="back" formnovalidate>Back to editing</button>
</div>
</form>`,
  );
}
