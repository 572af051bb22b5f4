import { AUTHORIZE_PATHS } from '../oauth/authorize/paths.js';
import { html } from './html.js';
import { layout, type HtmlPage } from './layout.js';
import { requestFields, type RequestFormKeys } from './request-form.js';
import { describeScope } from './scope-descriptions.js';

export interface ConsentPageInput extends RequestFormKeys {
  readonly clientName: string;
  readonly redirectUri: string;
  readonly accountName: string;
  /** Whose record the app will see, when there is one: "your own record", "the record of Jane Doe". */
  readonly patient: string | undefined;
  /** The scopes offered: requested and allowed for the client. Each is pre-ticked. */
  readonly scopes: readonly string[];
  /** The app's access filter in human terms (issue 5: consent is given "showing the filter in human terms"). */
  readonly access: readonly string[];
  /** The holder consented before, to an older version of the app's filter. */
  readonly reconfirm: boolean;
  readonly error?: string;
  readonly status?: number;
}

/** One checkbox per scope, so the user can grant less than the app asked for (issue 4). */
export function consentPage(input: ConsentPageInput): HtmlPage {
  return {
    status: input.status ?? 200,
    formTargets: [input.redirectUri],
    body: layout(
      'Allow access?',
      html`<p><strong>${input.clientName}</strong> asks for access on behalf of <strong>${input.accountName}</strong>${
        input.patient === undefined ? undefined : html` to <strong>${input.patient}</strong>`
      }. Untick what you do not want to share.</p>
${input.reconfirm ? html`<p class="notice" role="status">This app's data access changed since you approved it: confirm again to keep using it.</p>` : undefined}
${input.access.length === 0 ? undefined : html`<p>What this app may see and do at most (the permissions you tick below can only narrow it):</p>
<ul class="access">${input.access.map((line) => html`<li>${line}</li>`)}</ul>`}
${input.error === undefined ? undefined : html`<p class="error" role="alert">${input.error}</p>`}
<form method="post" action="${AUTHORIZE_PATHS.consent}">
${requestFields(input)}
<ul class="choices">${input.scopes.map(
        (scope, i) =>
          html`<li><input type="checkbox" name="scope" id="s${i}" value="${scope}" checked> <label for="s${i}">${describeScope(scope)} <code>${scope}</code></label></li>`,
      )}</ul>
<button class="primary" type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="muted">You can withdraw your approval at any time in the portal, under My data: the app loses its access at once.</p>`,
    ),
  };
}
