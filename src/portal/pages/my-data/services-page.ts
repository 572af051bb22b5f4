import { grantAs, listVisible } from '../../../access/consents/consent-actions.js';
import { isSharing, type Consent } from '../../../access/consents/consent.js';
import type { DirectoryClient } from '../../../access/consents/consent-directory.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { doneNote, holderOf, lines, tabs, when, type MyDataDeps } from './my-data-common.js';

function serviceStatus(service: DirectoryClient, consent: Consent | undefined): SafeHtml {
  if (consent?.status === 'active' && isSharing(consent)) {
    return html`<p>Subscribed since ${when(consent.updatedAt)}</p><a class="button" href="/portal/my-data/access/${consent.id}/revoke?from=services" aria-label="Unsubscribe: ${service.name}">Unsubscribe</a>`;
  }
  if (consent?.status === 'active') {
    return html`<p class="notice">Its data access changed since you subscribed: it receives nothing until you confirm.</p><a class="button" href="/portal/my-data/services/${service.id}" aria-label="Review and subscribe again: ${service.name}">Review and subscribe again</a>`;
  }
  return html`<a class="button primary" href="/portal/my-data/services/${service.id}" aria-label="Subscribe: ${service.name}">Subscribe…</a>`;
}

async function servicesPage(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  const [{ entries, truncated }, own] = await Promise.all([deps.directory.services(), listVisible(deps.consents, caller, { accountId: caller.accountId })]);
  const subscription = new Map(own.filter((c) => c.kind === 'service' && c.accountId === caller.accountId).map((c) => [c.clientId, c]));
  const subscribed = await doneNote(deps, caller, req.query.get('subscribed'), (name, c) => (c.status === 'active' ? `You subscribed to ${name}.` : undefined));
  const unsubscribed = await doneNote(deps, caller, req.query.get('unsubscribed'), (name, c) => (c.status === 'inactive' ? `You unsubscribed from ${name}: it no longer receives your records.` : undefined));
  return page(
    'Subscribe to external services',
    html`${tabs('/portal/my-data/services')}${subscribed}${unsubscribed}
<p>A service you subscribe to receives your records through its own key, within the limits shown, until you unsubscribe.</p>
<section class="card" aria-labelledby="available"><h2 id="available">Services</h2>${
      entries.length === 0
        ? html`<p class="muted">No service is available yet.</p>`
        : html`<div class="table-scroll"><table><thead><tr><th scope="col">Service</th><th scope="col">What it may see and do</th><th scope="col">Subscription</th></tr></thead><tbody>${entries.map(
            (s) => html`<tr><th scope="row">${s.name}</th><td>${lines(s.access)}</td><td>${serviceStatus(s, subscription.get(s.id))}</td></tr>`,
          )}</tbody></table></div>${truncated ? html`<p class="muted">More services exist than are listed here.</p>` : undefined}`
    }</section>`,
  );
}

/** The plain-words consent a subscription gives, and the form that records it. */
function subscribePage(req: PortalRequest, service: DirectoryClient): PortalResult {
  return page(
    `Subscribe to ${service.name}?`,
    html`<div class="card">
<p><strong>${service.name}</strong> will receive your records through its own key, from now on and as they change, until you unsubscribe. What it may see and do at most:</p>
${lines(service.access)}
<form method="post" action="/portal/my-data/services/${service.id}">
${csrfField(req.csrf)}
<button type="submit" class="primary">Subscribe</button>
<a class="button" href="/portal/my-data/services">Cancel</a>
</form>
<p class="muted">You can unsubscribe at any time under My data; it takes effect at once.</p>
</div>`,
  );
}

/** A service a holder may subscribe to; anything else (no client, another type, withdrawn) is missing. */
async function subscribable(deps: MyDataDeps, id: string): Promise<DirectoryClient | undefined> {
  const found = await deps.directory.client(id);
  return found?.type === 'service' && !found.revoked ? found : undefined;
}

async function subscribe(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  // As `consent grant --patient USER --client ID --kind service` and POST /api/consents do; a
  // refusal (not a service, withdrawn, no linked Patient) is the error page with the server's message.
  const consent = await grantAs(deps.consents, caller, { kind: 'service', accountId: caller.accountId, clientId: req.params.id ?? '' });
  return redirect(`/portal/my-data/services?subscribed=${consent.id}`);
}

/** Subscribe to external services: the services there are, each with its filter in plain words; subscribe after reading it, unsubscribe through the revoke step. */
export function servicesPages(deps: MyDataDeps): PortalRoute[] {
  const patient = ['patient'] as const;
  return [
    { method: 'GET', path: '/portal/my-data/services', access: patient, handle: (req) => servicesPage(req, deps) },
    {
      method: 'GET',
      path: '/portal/my-data/services/:id',
      access: patient,
      handle: async (req) => {
        const service = await subscribable(deps, req.params.id ?? '');
        if (service === undefined) throw new FhirkeepError('not-found', `There is no service ${req.params.id ?? ''}`);
        return subscribePage(req, service);
      },
    },
    { method: 'POST', path: '/portal/my-data/services/:id', access: patient, handle: (req) => subscribe(req, deps) },
  ];
}
