import { grantAs, listVisible } from '../../../access/consents/consent-actions.js';
import type { Consent } from '../../../access/consents/consent.js';
import type { DirectoryOrganization } from '../../../access/consents/consent-directory.js';
import { html } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { doneNote, holderOf, organizationName, sharingMeans, tabs, when, type MyDataDeps } from './my-data-common.js';

async function sharingPage(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  const search = (req.query.get('q') ?? '').slice(0, 200);
  const [{ entries, truncated }, own] = await Promise.all([deps.directory.organizations(search), listVisible(deps.consents, caller, { accountId: caller.accountId })]);
  const shares = own.filter((c) => c.kind === 'organization' && c.accountId === caller.accountId && c.status === 'active');
  const shareOf = new Map(shares.map((c) => [c.organizationId, c]));
  const sharedWith = await Promise.all(
    shares.map(async (consent) => {
      const found = consent.organizationId === undefined ? undefined : await deps.directory.organization(consent.organizationId);
      return { consent, name: found === undefined ? (consent.organizationId ?? '') : organizationName(found) };
    }),
  );
  const shared = await doneNote(deps, caller, req.query.get('shared'), (name, c) => (c.status === 'active' ? `You share your records with ${name}.` : undefined));
  const stopped = await doneNote(deps, caller, req.query.get('stopped'), (name, c) => (c.status === 'inactive' ? `You no longer share your records with ${name}.` : undefined));
  const action = (o: DirectoryOrganization, consent: Consent | undefined) =>
    consent === undefined
      ? html`<a class="button primary" href="/portal/my-data/sharing/${o.id}" aria-label="Share with ${organizationName(o)}">Share…</a>`
      : html`Shared since ${when(consent.updatedAt)}`;
  return page(
    'Share with an organization',
    html`${tabs('/portal/my-data/sharing')}${shared}${stopped}
<section class="card" aria-labelledby="sharing"><h2 id="sharing">Organizations you share with</h2>${
      sharedWith.length === 0
        ? html`<p class="muted">You share with no organization.</p>`
        : html`<div class="table-scroll"><table><thead><tr><th scope="col">Organization</th><th scope="col">Since</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${sharedWith.map(
            ({ consent, name }) =>
              html`<tr><th scope="row">${name}</th><td>${when(consent.updatedAt)}</td><td><a class="button" href="/portal/my-data/access/${consent.id}/revoke?from=sharing" aria-label="Stop sharing with ${name}">Stop sharing</a></td></tr>`,
          )}</tbody></table></div>`
    }</section>
<section class="card" aria-labelledby="find"><h2 id="find">Find an organization</h2>
<form method="get" action="/portal/my-data/sharing" role="search">
<label for="q">Organization name</label><input type="search" id="q" name="q" value="${search}" maxlength="200">
<button type="submit">Search</button>
</form>
${
  entries.length === 0
    ? html`<p class="muted">${search === '' ? 'There is no organization yet.' : 'No organization matches.'}</p>`
    : html`<div class="table-scroll"><table><thead><tr><th scope="col">Organization</th><th scope="col"><span class="muted">Sharing</span></th></tr></thead><tbody>${entries.map(
        (o) => html`<tr><th scope="row">${organizationName(o)}</th><td>${action(o, shareOf.get(o.id))}</td></tr>`,
      )}</tbody></table></div>${truncated ? html`<p class="muted">More organizations match: narrow your search.</p>` : undefined}`
}
</section>`,
  );
}

/** The plain-words consent sharing gives, and the form that records it. */
function sharePage(req: PortalRequest, organization: DirectoryOrganization): PortalResult {
  const name = organizationName(organization);
  return page(
    `Share your records with ${name}?`,
    html`<div class="card">
<p>${sharingMeans(name)} This lasts until you stop sharing, which takes effect on their next request.</p>
<form method="post" action="/portal/my-data/sharing/${organization.id}">
${csrfField(req.csrf)}
<button type="submit" class="primary">Share my records</button>
<a class="button" href="/portal/my-data/sharing">Cancel</a>
</form>
</div>`,
  );
}

async function share(req: PortalRequest, deps: MyDataDeps): Promise<PortalResult> {
  const { caller } = await holderOf(req, deps);
  // As `consent grant --patient USER --org ID` and POST /api/consents do; a refusal is the error page with the server's message.
  const consent = await grantAs(deps.consents, caller, { kind: 'organization', accountId: caller.accountId, organizationId: req.params.id ?? '' });
  return redirect(`/portal/my-data/sharing?shared=${consent.id}`);
}

/** Share with an organization: pick one (list or search), share after reading what it means, stop through the revoke step. */
export function sharingPages(deps: MyDataDeps): PortalRoute[] {
  const patient = ['patient'] as const;
  return [
    { method: 'GET', path: '/portal/my-data/sharing', access: patient, handle: (req) => sharingPage(req, deps) },
    {
      method: 'GET',
      path: '/portal/my-data/sharing/:id',
      access: patient,
      handle: async (req) => {
        const organization = await deps.directory.organization(req.params.id ?? '');
        if (organization === undefined) throw new FhirkeepError('not-found', `There is no organization ${req.params.id ?? ''}`);
        return sharePage(req, organization);
      },
    },
    { method: 'POST', path: '/portal/my-data/sharing/:id', access: patient, handle: (req) => share(req, deps) },
  ];
}
