import type { PatientSummary } from '../oauth/authorize/authorize-dependencies.js';
import { AUTHORIZE_PATHS } from '../oauth/authorize/paths.js';
import { html } from './html.js';
import { layout, type HtmlPage } from './layout.js';
import { requestFields, type RequestFormKeys } from './request-form.js';

export interface PatientPickerInput extends RequestFormKeys {
  readonly clientName: string;
  readonly redirectUri: string;
  /** The name searched for; undefined before the first search. */
  readonly query: string | undefined;
  readonly results: readonly PatientSummary[];
  readonly error?: string;
  readonly status?: number;
}

/** SMART `launch/patient` without an EHR context: a practitioner picks the patient the app will see. */
export function patientPickerPage(input: PatientPickerInput): HtmlPage {
  const results =
    input.query === undefined
      ? undefined
      : input.results.length === 0
        ? html`<p class="muted">No patient found.</p>`
        : html`<form method="post" action="${AUTHORIZE_PATHS.patient}">
${requestFields(input)}
<ul class="choices">${input.results.map(
            (p, i) =>
              html`<li><input type="radio" name="patient" id="p${i}" value="${p.id}" required> <label for="p${i}">${p.name}${
                p.birthDate === undefined ? undefined : html` <span class="muted">born ${p.birthDate}</span>`
              } <code>${p.id}</code></label></li>`,
          )}</ul>
<button class="primary" type="submit">Choose</button>
</form>`;
  return {
    status: input.status ?? 200,
    formTargets: [input.redirectUri],
    body: layout(
      'Choose a patient',
      html`<p><strong>${input.clientName}</strong> will see the patient you choose.</p>
${input.error === undefined ? undefined : html`<p class="error" role="alert">${input.error}</p>`}
<form method="get" action="${AUTHORIZE_PATHS.continue}">
<input type="hidden" name="request" value="${input.requestId}">
<label for="name">Patient name</label>
<input id="name" name="name" type="search" value="${input.query ?? ''}" required>
<button type="submit">Search</button>
</form>
${results}
<form method="post" action="${AUTHORIZE_PATHS.consent}">
${requestFields(input)}
<button type="submit" name="decision" value="deny">Cancel</button>
</form>`,
    ),
  };
}
