import type { Account, Role } from '../../../auth/accounts/account.js';
import type { AccountService } from '../../../auth/accounts/account-service.js';
import type { ClientType, RegisteredClient } from '../../../auth/clients/client.js';
import type { ClientRegistry, ClientScope } from '../../../auth/clients/client-registry.js';
import { clientScopeFor } from '../../../auth/clients/client-scope.js';
import { keyActorFor, type KeyActor, type KeyService } from '../../../auth/keys/key-service.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { PortalRequest } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { openReveal, type Reveal } from './reveal-once.js';

/** What the application pages use: the services the client and key APIs use, nothing else. */
export interface AppsDeps {
  readonly clients: Pick<ClientRegistry, 'register' | 'find' | 'list' | 'update' | 'revoke' | 'rotateSecret'>;
  readonly keys: KeyService;
  readonly accounts: Pick<AccountService, 'find' | 'findByEmail' | 'list' | 'organizationsOf' | 'listOrganizations' | 'findOrganization'>;
  /** Fhirkeep's CA certificate (PEM), as `GET /api/certificate-authority` answers it. */
  readonly caCertificate: () => Promise<string>;
  /** Whether cookies get `Secure` (the public base URL is https). */
  readonly secureCookies: () => boolean;
}

export const TYPE_LABELS: Readonly<Record<ClientType, string>> = {
  smart: 'SMART app',
  service: 'External service',
  broker: 'Data broker',
  research: 'Research partner',
};

/** The application pages are developers' (their own applications) and admins' (every one). */
const APP_ROLES: readonly Role[] = ['developer', 'admin'];

/** An application page or form target (`scripts`: what the page needs besides portal.js). */
export function appRoute(method: PortalRoute['method'], path: string, handle: PortalRoute['handle'], scripts?: readonly string[]): PortalRoute {
  return { method, path, access: APP_ROLES, handle, ...(scripts === undefined ? {} : { scripts }) };
}

export function signedIn(req: PortalRequest): Account {
  if (req.account === undefined) throw new FhirkeepError('unauthorized', 'Sign in first');
  return req.account;
}

/** The clients this account reaches, by the client API's rule. */
export function scopeOf(req: PortalRequest): ClientScope {
  const account = signedIn(req);
  return clientScopeFor({ accountId: account.id, roles: account.roles });
}

/** Who manages keys, by the key API's rule. */
export function actorOf(req: PortalRequest): KeyActor {
  const account = signedIn(req);
  return keyActorFor({ accountId: account.id, roles: account.roles });
}

/** An application's page: where links point, redirects go, and one-time secrets are bound. */
export function appPath(clientId: string, suffix = ''): string {
  return `/portal/apps/${encodeURIComponent(clientId)}${suffix}`;
}

export function param(req: PortalRequest, name: string): string {
  return req.params[name] ?? '';
}

/** The client of the page's `:id`, within the caller's scope: another developer's client is `not-found`, as at the API. */
export async function clientInScope(deps: AppsDeps, req: PortalRequest): Promise<RegisteredClient> {
  const id = param(req, 'id');
  const client = await deps.clients.find(id, scopeOf(req));
  if (client === undefined) throw new FhirkeepError('not-found', `There is no client ${id}`);
  return client;
}

/** A form field, trimmed ('' when absent). */
export function field(form: URLSearchParams | undefined, name: string): string {
  return (form?.get(name) ?? '').trim();
}

/**
 * Runs a form action; a refusal with one of `statuses` (the caller's mistake: 400, by default)
 * comes back as the service's message, for the form to show again.
 */
export async function attempt<T>(action: () => Promise<T>, statuses: readonly number[] = [400]): Promise<{ ok: T } | { problem: string }> {
  try {
    return { ok: await action() };
  } catch (e) {
    if (e instanceof FhirkeepError && statuses.includes(e.status)) return { problem: e.message };
    throw e;
  }
}

export function when(date: Date | undefined): SafeHtml {
  if (date === undefined) return html`<span class="muted">—</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function problemBox(problem: string | undefined): SafeHtml {
  return problem === undefined ? html`` : html`<p class="error" role="alert">${problem}</p>`;
}

/** Confirmations after a redirect, by a fixed key (no text from the URL reaches the page). */
const DONE: Readonly<Record<string, string>> = {
  registered: 'The application is registered.',
  saved: 'The settings are saved.',
  revoked: 'The application is revoked: its tokens, keys and secret stop working now.',
  'key-revoked': 'The key is revoked: it stops working on the next request, on every server.',
  'manager-changed': 'Key management is handed over.',
};

export function doneBox(req: PortalRequest): SafeHtml {
  const message = DONE[req.query.get('done') ?? ''];
  return message === undefined ? html`` : html`<p class="success" role="status">${message}</p>`;
}

/**
 * The one-time secret of this page, if the redirect brought one: shown with a copy button, and
 * the cookie that carried it cleared. A `reveal` link opened again says it is gone.
 */
export function revealOnce(deps: AppsDeps, req: PortalRequest, path: string): { box: SafeHtml; cookies: string[] } {
  const key = req.query.get('reveal');
  const opened = openReveal(req.cookieHeader, key, signedIn(req).id, path, deps.secureCookies());
  const cookies = opened.clear === undefined ? [] : [opened.clear];
  if (opened.reveal !== undefined) return { box: secretBox(opened.reveal), cookies };
  if (key === null) return { box: html``, cookies };
  return { box: html`<p class="notice" role="status">This was shown once and is not shown again. If it was lost, make a new one.</p>`, cookies };
}

function secretBox(reveal: Reveal): SafeHtml {
  return html`<section class="card" aria-labelledby="reveal-heading">
<h2 id="reveal-heading">${reveal.label}</h2>
<p class="notice" role="alert">Copy it now: it is shown only this once and cannot be shown again.</p>
<div class="secret"><code id="revealed-value">${reveal.value}</code><button type="button" data-copy="revealed-value">Copy</button></div>
<p class="hint">${reveal.note}</p>
</section>`;
}

/** The application's tabs; the access filter, debugger and statistics pages use them too. */
export type AppTab = 'overview' | 'keys' | 'filter' | 'debugger' | 'statistics' | 'managers';

const TABS: readonly { readonly tab: AppTab; readonly label: string; readonly suffix: string }[] = [
  { tab: 'overview', label: 'Overview', suffix: '' },
  { tab: 'keys', label: 'Keys', suffix: '/keys' },
  { tab: 'filter', label: 'Access filter', suffix: '/filter' },
  { tab: 'debugger', label: 'Debugger', suffix: '/debugger' },
  { tab: 'statistics', label: 'Statistics', suffix: '/statistics' },
  { tab: 'managers', label: 'Key managers', suffix: '/managers' },
];

export function appTabs(clientId: string, current: AppTab): SafeHtml {
  return html`<nav class="tabs" aria-label="Application">${TABS.map((t) => html`<a href="${appPath(clientId, t.suffix)}"${t.tab === current ? html` aria-current="page"` : ''}>${t.label}</a>`)}</nav>`;
}
