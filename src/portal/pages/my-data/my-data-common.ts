import type { Consent } from '../../../access/consents/consent.js';
import { findManaged } from '../../../access/consents/consent-actions.js';
import type { ConsentDirectory } from '../../../access/consents/consent-directory.js';
import { consentCallerOf, type ConsentCaller } from '../../../access/consents/consent-permissions.js';
import type { ConsentService } from '../../../access/consents/consent-service.js';
import type { Account } from '../../../auth/accounts/account.js';
import type { AccountService } from '../../../auth/accounts/account-service.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { PortalRequest } from '../../portal-page.js';
import type { AccessLogPageDeps } from './access-log-page.js';

/** What the account holder's pages use: the consent API's service and rules, and its directory; the access log API's service. */
export interface MyDataDeps extends AccessLogPageDeps {
  readonly consents: ConsentService;
  readonly directory: ConsentDirectory;
  readonly accounts: Pick<AccountService, 'organizationsOf'>;
}

/** The signed-in holder and the caller the consent rules see (as /api/consents builds it). */
export async function holderOf(req: PortalRequest, deps: MyDataDeps): Promise<{ account: Account; caller: ConsentCaller }> {
  const account = req.account;
  if (account === undefined) throw new Error('a my-data page without an account');
  return { account, caller: await consentCallerOf(account, deps.accounts.organizationsOf) };
}

/**
 * One of the holder's own consents. The API lets an admin or an organization's manager reach
 * others' too; these pages are about the holder's own decisions, so anyone else's is missing.
 */
export async function ownConsent(deps: MyDataDeps, caller: ConsentCaller, id: string): Promise<Consent> {
  const consent = await findManaged(deps.consents, caller, id);
  if (consent.accountId !== caller.accountId) throw new FhirkeepError('not-found', `There is no consent ${id}`);
  return consent;
}

/** Who a consent is given to, named for the holder. */
export interface Recipient {
  readonly name: string;
  /** What it may see and do, in plain words; empty for an organization (see SHARING_MEANS). */
  readonly access: readonly string[];
  /** The client was withdrawn: the consent shares nothing any more. */
  readonly revoked: boolean;
}

export async function recipientOf(deps: MyDataDeps, consent: Consent): Promise<Recipient> {
  if (consent.clientId !== undefined) {
    const client = await deps.directory.client(consent.clientId);
    return client === undefined ? { name: consent.clientId, access: [], revoked: true } : { name: client.name, access: client.access, revoked: client.revoked };
  }
  const organization = consent.organizationId === undefined ? undefined : await deps.directory.organization(consent.organizationId);
  return { name: organization === undefined ? (consent.organizationId ?? '') : organizationName(organization), access: [], revoked: false };
}

export function organizationName(o: { readonly name: string; readonly parent?: { readonly name: string } | undefined }): string {
  return o.parent === undefined ? o.name : `${o.name} (a team of ${o.parent.name})`;
}

/** What sharing with an organization gives, in plain words (docs/consents.md; consent-sql.ts sharedPatients). */
export function sharingMeans(name: string): string {
  return `Members of ${name} can see your records, each through the apps they use and within those apps' limits, and so can the data brokers ${name} works with.`;
}

/** The consents still in force or waiting, that a holder may end. */
export const ENDABLE: ReadonlySet<Consent['status']> = new Set(['active', 'draft', 'proposed']);

export const TABS = [
  { href: '/portal/my-data', label: 'Apps and services with access' },
  { href: '/portal/my-data/services', label: 'Subscribe to services' },
  { href: '/portal/my-data/sharing', label: 'Share with organizations' },
  { href: '/portal/my-data/access-log', label: 'Who accessed my data' },
] as const;

export function tabs(current: (typeof TABS)[number]['href']): SafeHtml {
  return html`<nav class="tabs" aria-label="My data">${TABS.map((t) => html`<a href="${t.href}"${t.href === current ? html` aria-current="page"` : ''}>${t.label}</a>`)}</nav>`;
}

/** "12 Mar 2025, 14:03 UTC" in a <time>. */
export function when(date: Date): SafeHtml {
  const day = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  return html`<time datetime="${date.toISOString()}">${day}, ${date.toISOString().slice(11, 16)} UTC</time>`;
}

export function lines(items: readonly string[]): SafeHtml {
  return html`<ul class="access">${items.map((line) => html`<li>${line}</li>`)}</ul>`;
}

/** A success note after a post (PRG): the consent is named by id, so no link can make the page say anything else. */
export async function doneNote(deps: MyDataDeps, caller: ConsentCaller, id: string | null, say: (name: string, consent: Consent) => string | undefined): Promise<SafeHtml | undefined> {
  if (id === null) return undefined;
  const consent = await ownConsent(deps, caller, id).catch((e: unknown) => {
    if (e instanceof FhirkeepError && e.code === 'not-found') return undefined;
    throw e;
  });
  if (consent === undefined) return undefined;
  const message = say((await recipientOf(deps, consent)).name, consent);
  return message === undefined ? undefined : html`<p class="success" role="status">${message}</p>`;
}
