import { STATUS_CODES } from 'node:http';
import type { ClientStatistics } from '../../../audit/client-statistics.js';
import type { RegisteredClient } from '../../../auth/clients/client.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { DEBUG_METHODS, parseHeaderLines, type DebugAnswer, type DebugRequests } from '../../../http/debug-requests.js';
import { assetUrl } from '../../assets.js';
import { csrfField } from '../../layout.js';
import { page, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { appRoute, appTabs, scopeOf, signedIn } from './apps-common.js';
import { registerAppAssets } from './app-assets.js';

export interface AppDebuggerDeps {
  /** The service POST /api/clients/:id/debug-request runs. */
  readonly debug: DebugRequests;
  /** Which client the account may reach (the statistics service's check, the API's rule). */
  readonly statistics: Pick<ClientStatistics, 'client'>;
}

interface FormValues {
  readonly method: string;
  readonly path: string;
  readonly headers: string;
  readonly body: string;
  readonly organization: string;
}

const EMPTY: FormValues = { method: 'GET', path: '/fhir/Patient?_count=10', headers: '', body: '', organization: '' };

/**
 * /portal/apps/:id/debugger: a FHIR request sent as the application (its registered scopes, its
 * filter and consents, counted in its statistics), and the answer: status, headers, body. The
 * form posts to the page itself, which shows the answer (a run is not a change to the portal:
 * nothing to redirect to).
 */
export function appDebuggerPages(deps: AppDebuggerDeps): PortalRoute[] {
  registerAppAssets();
  return [
    appRoute('GET', '/portal/apps/:id/debugger', async (req) => {
      const client = await deps.statistics.client(req.params.id ?? '', scopeOf(req));
      return debuggerPage(req, client, EMPTY, undefined, undefined);
    }),
    appRoute('POST', '/portal/apps/:id/debugger', async (req) => {
      const scope = scopeOf(req);
      const client = await deps.statistics.client(req.params.id ?? '', scope);
      const form = req.form ?? new URLSearchParams();
      const values: FormValues = {
        method: form.get('method') ?? 'GET',
        path: form.get('path') ?? '',
        headers: form.get('headers') ?? '',
        body: form.get('body') ?? '',
        organization: form.get('organization') ?? '',
      };
      const account = signedIn(req);
      try {
        const answer = await deps.debug.run(
          client.id,
          scope,
          { method: values.method, path: values.path, headers: parseHeaderLines(values.headers), body: values.body, organization: values.organization },
          { accountId: account.id, ip: req.ip },
        );
        return debuggerPage(req, client, values, answer, undefined);
      } catch (e) {
        // The developer's input, refused before anything was sent: the form again, with why.
        if (e instanceof FhirkeepError && e.status < 500 && e.code !== 'not-found') return debuggerPage(req, client, values, undefined, e);
        throw e;
      }
    }),
  ];
}

function debuggerPage(req: PortalRequest, client: RegisteredClient, values: FormValues, answer: DebugAnswer | undefined, problem: FhirkeepError | undefined): PortalResult {
  const action = `/portal/apps/${encodeURIComponent(client.id)}/debugger`;
  const broker = client.type === 'broker';
  return page(
    `API debugger · ${client.name}`,
    html`${appTabs(client.id, 'debugger')}
<link rel="stylesheet" href="${assetUrl('app-pages.css')}">
<section class="card" aria-labelledby="request-heading">
<h2 id="request-heading">Request</h2>
<p class="hint">Sent as this application: with an access token issued to it for its registered scopes (<code>${client.scopes.join(' ') || 'none'}</code>), acting for no user, through its access filter and consents. The request counts in its statistics.</p>
${problem === undefined ? '' : html`<p class="error" role="alert">${problem.message}</p>`}
<form method="post" action="${action}">
${csrfField(req.csrf)}
<label for="method">Method</label>
<select id="method" name="method">${DEBUG_METHODS.map((m) => html`<option${m === values.method.toUpperCase() ? html` selected` : ''}>${m}</option>`)}</select>
<label for="path">Path</label>
<input type="text" id="path" name="path" required value="${values.path}" aria-describedby="path-hint" spellcheck="false" autocomplete="off">
<p class="hint" id="path-hint">Under <code>/fhir</code>, with the query, e.g. <code>/fhir/Observation?patient=123</code>.${client.type === 'research' ? html` A research partner names the study: add <code>researchstudy=&lt;id&gt;</code>.` : ''}</p>
${
  broker
    ? html`<label for="organization">Acting for organization (grp)</label>
<input type="text" id="organization" name="organization" value="${values.organization}" aria-describedby="organization-hint" spellcheck="false">
<p class="hint" id="organization-hint">An organization id or <code>system|value</code>; sent as <code>; grp=</code> after the token.</p>`
    : ''
}
<label for="headers">Headers</label>
<textarea id="headers" name="headers" rows="4" aria-describedby="headers-hint" spellcheck="false">${values.headers}</textarea>
<p class="hint" id="headers-hint">One per line, <code>Name: value</code> (e.g. <code>Prefer: return=representation</code>). No Authorization: the debugger sends the application's.</p>
<label for="body">Body</label>
<textarea id="body" name="body" aria-describedby="body-hint" spellcheck="false">${values.body}</textarea>
<p class="hint" id="body-hint">For POST, PUT and PATCH; FHIR JSON, up to 64 KiB.</p>
<button type="submit" class="primary">Send</button>
</form>
</section>
${answer === undefined ? '' : answerSection(answer)}`,
    { status: problem === undefined ? 200 : problem.status },
  );
}

function answerSection(answer: DebugAnswer): SafeHtml {
  const type = answer.headers['content-type'] ?? '';
  return html`<section class="card" aria-labelledby="response-heading">
<h2 id="response-heading">Response</h2>
<p><strong>Status</strong> <span id="response-status" class="${answer.status >= 400 ? 'error' : 'success'}">${answer.status} ${STATUS_CODES[answer.status] ?? ''}</span> <span class="muted">in ${answer.ms} ms</span></p>
<h3>Headers</h3>
<table id="response-headers"><tbody>${Object.entries(answer.headers).map(([name, value]) => html`<tr><th scope="row">${name}</th><td><code class="wrap">${value}</code></td></tr>`)}</tbody></table>
<h3>Body</h3>
${
  answer.body === ''
    ? html`<p class="muted">No body.</p>`
    : html`<pre id="response-body">${/json/i.test(type) ? pretty(answer.body) : answer.body}</pre>
${answer.truncated ? html`<p class="notice">The body is longer than the debugger shows; it is cut here.</p>` : ''}
<button type="button" data-copy="response-body">Copy the body</button>`
}
</section>`;
}

/** Indented JSON; a body that is not JSON (or was cut) as it came. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
