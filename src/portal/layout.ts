import type { Account, Role } from '../auth/accounts/account.js';
import { html, type SafeHtml } from '../auth/views/html.js';
import { PERMISSIONS_POLICY } from '../auth/views/layout.js';
import { assetUrl } from './assets.js';

/** One entry of the top navigation, shown to accounts holding one of its roles (any account: none listed). */
export interface NavEntry {
  readonly href: string;
  readonly label: string;
  readonly roles?: readonly Role[];
}

/** The portal's sections; each page module's routes live under one of them. */
export const NAVIGATION: readonly NavEntry[] = [
  { href: '/portal', label: 'Home' },
  { href: '/portal/apps', label: 'Applications', roles: ['developer', 'admin'] },
  { href: '/portal/my-data', label: 'My data', roles: ['patient'] },
  { href: '/portal/admin', label: 'Admin', roles: ['admin'] },
  { href: '/portal/account', label: 'Account' },
];

export interface LayoutContext {
  readonly account: Account | undefined;
  readonly csrf: string;
  /** The request path, to mark the current section. */
  readonly path: string;
  /** Extra scripts of this page (asset names). */
  readonly scripts?: readonly string[];
}

export function portalLayout(title: string, body: SafeHtml, ctx: LayoutContext): SafeHtml {
  const { account } = ctx;
  const visible = account === undefined ? [] : NAVIGATION.filter((n) => n.roles === undefined || n.roles.some((r) => account.roles.includes(r)));
  const current = (href: string) => (href === '/portal' ? ctx.path === '/portal' : ctx.path === href || ctx.path.startsWith(`${href}/`));
  const nav = visible.map((n) => html`<a href="${n.href}"${current(n.href) ? html` aria-current="page"` : ''}>${n.label}</a>`);
  const signOut =
    account === undefined
      ? html`<a href="/portal/sign-in">Sign in</a>`
      : html`<form method="post" action="/portal/sign-out"><input type="hidden" name="csrf" value="${ctx.csrf}"><button type="submit">Sign out</button></form>`;
  const scripts = ['portal.js', ...(ctx.scripts ?? [])].map((s) => html`<script src="${assetUrl(s)}" defer></script>`);
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Fhirkeep</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetUrl('portal.css')}">
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">Fhirkeep</span><nav aria-label="Sections">${nav}</nav>${account === undefined ? '' : html`<span class="muted">${account.email}</span>`}${signOut}</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

/**
 * Headers of every portal page: the strict CSP (nothing inline, nothing from elsewhere), no
 * framing, no caching, no powerful browser features, and a window of its own (a page that opened
 * the portal cannot script it). HSTS and nosniff come with every response (secure-headers.ts).
 */
export function portalHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-frame-options': 'DENY',
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts,
    // and the portal checks a post's Origin.
    'referrer-policy': 'same-origin',
    'permissions-policy': PERMISSIONS_POLICY,
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** A hidden CSRF field for a form. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}
