import { listVisible, changeStatus } from '../../../access/consents/consent-actions.js';
import { isSharing, type Consent } from '../../../access/consents/consent.js';
import { describeScope } from '../../../auth/views/scope-descriptions.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { doneNote, ENDABLE, holderOf, lines, ownConsent, recipientOf, sharingMeans, tabs, when, type MyDataDeps, type Recipient } from './my-data-common.js';

/** Where a revocation was asked from, and where it goes back to (a fixed list: no open redirect). */
const BACK = {
  access: { href: '/portal/my-data', done: 'revoked' },
  services: { href: '/portal/my-data/services', done: 'unsubscribed' },
  sharing: { href: '/portal/my-data/sharing', done: 'stopped' },
} as const;
type From = keyof typeof BACK;
const fromOf = (value: string | null | undefined): From => (value === 'services' || value === 'sharing' ? value : 'access');

/** The words for ending each kind of consent. */
const ENDING = {
  app: { title: (n: string) => `Revoke ${n}'s access?`, button: 'Revoke access', link: 'Revoke' },
  service: { title: (n: string) => `Unsubscribe from ${n}?`, button: 'Unsubscribe', link: 'Unsubscribe' },
  organization: { title: (n: string) => `Stop sharing with ${n}?`, button: 'Stop sharing', link: 'Stop sharing' },
} as const;
type HolderKind = keyof typeof ENDING;
const holderKind = (c: Consent): HolderKind => (c.kind === 'broker' ? 'organization' : c.kind);

const KIND_LABEL: Readonly<Record<HolderKind, string>> = { app: 'App', service: 'Service', organization: 'Organization' };
const STATUS_LABEL: Readonly<Record<Consent['status'], string>> = {
  active: 'Active',
  inactive: 'Revoked',
  rejected: 'Declined',
  'entered-in-error': 'Recorded in error',
  draft: 'Draft, not in force',
  proposed: 'Proposed, not in force',
};

/** What a consent in force gives, with the warnings the holder needs (a changed filter, a withdrawn client). */
function whatItGets(consent: Consent, recipient: Recipient): SafeHtml {
  const notes = [
    ...(recipient.revoked ? ['It has been withdrawn by its provider and receives nothing.'] : []),
    ...(!isSharing(consent) && consent.status === 'active'
      ? [consent.kind === 'service' ? 'Its data access changed since you subscribed: it receives nothing until you subscribe again.' : 'Its data access changed since you approved it: it sees nothing until you approve it again, above or the next time you use it.']
      : []),
  ];
  const scopes = consent.scopes.map((s) => describeScope(s));
  return html`${consent.kind === 'organization' ? html`<p>${sharingMeans(recipient.name)}</p>` : lines(recipient.access)}${
    scopes.length === 0 ? undefined : html`<details><summary>Permissions you approved</summary>${lines(scopes)}</details>`
  }${notes.map((n) => html`<p class="notice">${n}</p>`)}`;
}

function revokeLink(consent: Consent, name: string, from: From): SafeHtml {
  const words = ENDING[holderKind(consent)];
  return html`<a class="button" href="/portal/my-data/access/${consent.id}/revoke${from === 'access' ? '' : `?from=${from}`}" aria-label="${words.link}: ${name}">${words.link}</a>`;
}

/**
 * Waiting for the holder: an app or service whose access filter changed since they confirmed it
 * (it gets nothing meanwhile), and a consent recorded as draft or proposed (not in force yet).
 */
function awaitsApproval(consent: Consent, recipient: Recipient): boolean {
  if (recipient.revoked) return false;
  return consent.status === 'draft' || consent.status === 'proposed' || (consent.status === 'active' && !isSharing(consent));
}

function pendingSection(rows: readonly { consent: Consent; recipient: Recipient }[]): SafeHtml | undefined {
  if (rows.length === 0) return undefined;
  return html`<section class="card" aria-labelledby="pending"><h2 id="pending">Waiting for your approval</h2>
<p>These get nothing from your records until you approve them.</p>
<ul class="pending">${rows.map(
    ({ consent, recipient }) =>
      html`<li><strong>${recipient.name}</strong> (${KIND_LABEL[holderKind(consent)].toLowerCase()}): ${
        consent.status === 'active' ? 'its data access changed since you approved it' : 'not in force yet'
      } <a class="button" href="/portal/my-data/access/${consent.id}/approve" aria-label="Review and approve: ${recipient.name}">Review and approve</a></li>`,
  )}</ul></section>`;
}

function section(title: string, id: string, empty: string, rows: readonly { consent: Consent; recipient: Recipient }[], who: string): SafeHtml {
  return html`<section class="card" aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${
    rows.length === 0
      ? html`<p class="muted">${empty}</p>`
      : html`<div class="table-scroll"><table><thead><tr><th scope="col">${who}</th><th scope="col">What it may see and do</th><th scope="col">Since</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${rows.map(
          ({ consent, recipient }) =>
            html`<tr><th scope="row">${recipient.name}</th><td>${whatItGets(consent, recipient)}</td><td>${when(consent.updatedAt)}</td><td>${revokeLink(consent, recipient.name, 'access')}</td></tr>`,
        )}</tbody></table></div>`
  }</section>`;
}

async function accessPage(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  const own = await listVisible(deps.consents, caller, { accountId: caller.accountId });
  const named = await Promise.all(own.filter((c) => c.accountId === caller.accountId).map(async (consent) => ({ consent, recipient: await recipientOf(deps, consent) })));
  const inForce = (kind: HolderKind) => named.filter(({ consent }) => consent.status === 'active' && consent.kind === kind);
  const pending = named.filter(({ consent, recipient }) => awaitsApproval(consent, recipient));
  const history = named.filter(({ consent }) => consent.status !== 'active' && !pending.some((p) => p.consent.id === consent.id));
  const done =
    (await doneNote(deps, caller, req.query.get('revoked'), (name, c) => (c.status === 'inactive' ? `${name} no longer has access to your records.` : undefined))) ??
    (await doneNote(deps, caller, req.query.get('approved'), (name, c) => (isSharing(c) ? `You approved ${name}: it has access to your records as described.` : undefined)));
  return page(
    'Apps and services with access',
    html`${tabs('/portal/my-data')}${done}
<p>Everyone you have given access to your records, and what each may see. Revoking takes effect at once.</p>
${pendingSection(pending)}
${section('Apps you approved', 'apps', 'No app has access.', inForce('app'), 'App')}
${section('Services you subscribe to', 'services', 'You subscribe to no service.', inForce('service'), 'Service')}
${section('Organizations you share with', 'organizations', 'You share with no organization.', inForce('organization'), 'Organization')}
<section class="card" aria-labelledby="history"><h2 id="history">History</h2>${
      history.length === 0
        ? html`<p class="muted">Nothing in your history yet.</p>`
        : html`<div class="table-scroll"><table><thead><tr><th scope="col">Who</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Changed</th></tr></thead><tbody>${history.map(
            ({ consent, recipient }) =>
              html`<tr><th scope="row">${recipient.name}</th><td>${KIND_LABEL[holderKind(consent)]}</td><td>${STATUS_LABEL[consent.status]}</td><td>${when(consent.updatedAt)}</td></tr>`,
          )}</tbody></table></div>`
    }</section>`,
  );
}

/** The confirmation step: what ending this consent means, and the form that ends it. */
async function confirmPage(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  const consent = await ownConsent(deps, caller, req.params.id ?? '');
  const from = fromOf(req.query.get('from'));
  const recipient = await recipientOf(deps, consent);
  const words = ENDING[holderKind(consent)];
  if (!ENDABLE.has(consent.status)) {
    return page('Nothing to revoke', html`<div class="card"><p>${recipient.name} has no access to revoke: this consent is ${STATUS_LABEL[consent.status].toLowerCase()}.</p><p><a href="${BACK[from].href}">Back</a></p></div>`);
  }
  const effect = {
    app: `${recipient.name} loses access to your records at once: its sessions end now, and to use it again you would have to approve it again.`,
    service: `${recipient.name} stops receiving your records at once. You can subscribe again later.`,
    organization: `Members of ${recipient.name} no longer see your records, from their next request on. You can share again later.`,
  }[holderKind(consent)];
  return page(
    words.title(recipient.name),
    html`<div class="card">
<p>${effect}</p>
${consent.kind === 'organization' ? undefined : html`<p>What it may see and do now:</p>${lines(recipient.access)}`}
<form method="post" action="/portal/my-data/access/${consent.id}/revoke">
${csrfField(req.csrf)}<input type="hidden" name="from" value="${from}">
<button type="submit" class="danger">${words.button}</button>
<a class="button" href="${BACK[from].href}">Cancel</a>
</form>
</div>`,
  );
}

/** The approval step: what approving gives, in plain words, and the form that approves it. */
async function approvePage(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  const consent = await ownConsent(deps, caller, req.params.id ?? '');
  const recipient = await recipientOf(deps, consent);
  if (!awaitsApproval(consent, recipient)) {
    return page('Nothing to approve', html`<div class="card"><p>${recipient.name} is not waiting for your approval.</p><p><a href="/portal/my-data">Back</a></p></div>`);
  }
  return page(
    `Approve ${recipient.name}?`,
    html`<div class="card">
${consent.kind === 'organization' ? html`<p>${sharingMeans(recipient.name)}</p>` : html`<p>If you approve, ${recipient.name} may see and do this with your records:</p>${lines(recipient.access)}`}
<p>You can revoke it at any time on this page.</p>
<form method="post" action="/portal/my-data/access/${consent.id}/approve">
${csrfField(req.csrf)}
<button type="submit">Approve</button>
<a class="button" href="/portal/my-data">Cancel</a>
</form>
</div>`,
  );
}

async function approve(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  const consent = await ownConsent(deps, caller, req.params.id ?? '');
  // As PUT /api/consents/{id}/status does: an active consent is confirmed for the current filter.
  if (awaitsApproval(consent, await recipientOf(deps, consent))) await changeStatus(deps.consents, caller, consent.id, 'active');
  return redirect(`/portal/my-data?approved=${consent.id}`);
}

async function revoke(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  const consent = await ownConsent(deps, caller, req.params.id ?? '');
  const from = fromOf(req.form?.get('from'));
  // A second post (a reload, a double click) finds it ended already: nothing more to do.
  if (ENDABLE.has(consent.status)) await changeStatus(deps.consents, caller, consent.id, 'inactive');
  return redirect(`${BACK[from].href}?${BACK[from].done}=${consent.id}`);
}

/**
 * "Apps and services with access": every consent of the holder in force, what each may see,
 * those waiting for approval (approved after a review step), revoke with a confirmation step, and the history.
 */
export function accessPages(deps: MyDataDeps): PortalRoute[] {
  const patient = ['patient'] as const;
  return [
    { method: 'GET', path: '/portal/my-data', access: patient, handle: (req) => accessPage(req, deps) },
    { method: 'GET', path: '/portal/my-data/access', access: patient, handle: (req) => accessPage(req, deps) },
    { method: 'GET', path: '/portal/my-data/access/:id/approve', access: patient, handle: (req) => approvePage(req, deps) },
    { method: 'POST', path: '/portal/my-data/access/:id/approve', access: patient, handle: (req) => approve(req, deps) },
    { method: 'GET', path: '/portal/my-data/access/:id/revoke', access: patient, handle: (req) => confirmPage(req, deps) },
    { method: 'POST', path: '/portal/my-data/access/:id/revoke', access: patient, handle: (req) => revoke(req, deps) },
  ];
}
