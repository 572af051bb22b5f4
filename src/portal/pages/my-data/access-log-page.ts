import { parseAccessLogQuery, type AccessLog, type AccessLogEntry, type AccessLogQuery } from '../../../audit/access-log.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { page, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { tabs, when } from './my-data-common.js';

export interface AccessLogPageDeps {
  /** The same service, and the same query, as `GET /api/account/access-log`: the page can do nothing the API cannot. */
  readonly accessLog: AccessLog;
  readonly limits: { readonly defaultCount: number; readonly maxCount: number };
}

const PATH = '/portal/my-data/access-log';

/** Each interaction as the holder reads it: what was done, and what was tried. */
const VERBS: Readonly<Record<string, { readonly done: string; readonly tried: string }>> = {
  read: { done: 'read', tried: 'read' },
  vread: { done: 'read', tried: 'read' },
  'search-type': { done: 'searched', tried: 'search' },
  'search-system': { done: 'searched', tried: 'search' },
  search: { done: 'searched', tried: 'search' },
  create: { done: 'added to', tried: 'add to' },
  update: { done: 'changed', tried: 'change' },
  patch: { done: 'changed', tried: 'change' },
  delete: { done: 'deleted', tried: 'delete' },
  'history-instance': { done: 'read the history of', tried: 'read the history of' },
  'history-type': { done: 'read the history of', tried: 'read the history of' },
  export: { done: 'exported', tried: 'export' },
};
const ACCESSED = { done: 'accessed', tried: 'access' };

/** "your Observations and Conditions", "your patient record", "your records". */
function records(types: readonly string[]): string {
  const words = types.map((t) => (t === 'Patient' ? 'patient record' : t.endsWith('s') ? t : `${t}s`));
  if (words.length === 0) return 'your records';
  return `your ${words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`}`;
}

/** "Dr Lee using Acme Health App for Green Valley Clinic read your Observations on 3 Dec 2026, 14:02 UTC". */
function sentence(e: AccessLogEntry): SafeHtml {
  const actor = e.person?.name ?? e.application?.name ?? 'Someone who did not sign in';
  const using = e.person !== undefined && e.application !== undefined ? ` using ${e.application.name}` : '';
  const behalf = e.on_behalf_of === undefined ? '' : ` for ${e.on_behalf_of.name}`;
  const verb = VERBS[e.what.interaction] ?? ACCESSED;
  const act = e.outcome === 'success' ? verb.done : `tried to ${verb.tried}`;
  return html`${actor}${using}${behalf} ${act} ${records(e.what.resource_types)} on ${when(new Date(e.when))}`;
}

const OUTCOME: Readonly<Record<AccessLogEntry['outcome'], SafeHtml>> = {
  success: html`Allowed`,
  refused: html`<strong class="notice">Refused</strong>`,
  failed: html`<strong class="notice">Failed</strong>`,
};

/** A link to another page of the log, with the filters kept. */
function pageHref(query: AccessLogQuery, cursor: string | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of [['client', query.client], ['from', query.from], ['to', query.to], ['cursor', cursor]] as const) if (value !== undefined) params.set(name, value);
  const qs = params.toString();
  return qs === '' ? PATH : `${PATH}?${qs}`;
}

async function accessLogPage(req: PortalRequest, deps: AccessLogPageDeps): Promise<PortalResult> {
  const account = req.account;
  if (account === undefined) throw new Error('a my-data page without an account');
  const query = parseAccessLogQuery(req.query, deps.limits);
  const log = await deps.accessLog.page(account, query);
  const filtered = query.client !== undefined || query.from !== undefined || query.to !== undefined;
  return page(
    'Who accessed my data',
    html`${tabs(PATH)}
<p>Every time an app, a service or a person used your records, and every attempt that was refused, newest first. Times are in UTC.</p>
<section class="card" aria-labelledby="filter"><h2 id="filter">Filter</h2>
<form method="get" action="${PATH}" role="search">
<label for="client">Application</label><select id="client" name="client"><option value="">All applications</option>${log.applications.map(
      (a) => html`<option value="${a.client_id}"${a.client_id === query.client ? html` selected` : ''}>${a.name}</option>`,
    )}</select>
<label for="from">From (day)</label><input type="date" id="from" name="from" value="${query.from ?? ''}">
<label for="to">To (day)</label><input type="date" id="to" name="to" value="${query.to ?? ''}">
<button type="submit">Filter</button>${filtered ? html`<a class="button" href="${PATH}">Show everything</a>` : undefined}
</form>
</section>
<section class="card" aria-labelledby="log"><h2 id="log">Accesses</h2>${
      log.entries.length === 0
        ? html`<p class="muted">${filtered ? 'Nothing matches these filters.' : 'Nobody has accessed your records yet.'}</p>`
        : html`<div class="table-scroll"><table><thead><tr><th scope="col">What happened</th><th scope="col">Outcome</th></tr></thead><tbody>${log.entries.map(
            (e) => html`<tr><th scope="row">${sentence(e)}</th><td>${OUTCOME[e.outcome]}</td></tr>`,
          )}</tbody></table></div>`
    }
<nav aria-label="Pages">${query.cursor === undefined ? undefined : html`<a class="button" href="${pageHref(query, undefined)}">Newest entries</a>`}${
      log.next_cursor === undefined ? undefined : html`<a class="button" rel="next" href="${pageHref(query, log.next_cursor)}">Older entries</a>`
    }</nav>
</section>`,
  );
}

/** "Who accessed my data" (issue 9): the holder's access log, from the audit trail. */
export function accessLogPages(deps: AccessLogPageDeps): PortalRoute[] {
  return [{ method: 'GET', path: PATH, access: ['patient'], handle: (req) => accessLogPage(req, deps) }];
}
