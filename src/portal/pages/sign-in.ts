import type { AccountService } from '../../auth/accounts/account-service.js';
import type { SessionService } from '../../auth/sessions/session-service.js';
import { html } from '../../auth/views/html.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { csrfField } from '../layout.js';
import { page, redirect, type PortalResult } from '../portal-page.js';
import type { PortalRoute } from '../portal-route.js';

export interface SignInDeps {
  readonly accounts: Pick<AccountService, 'authenticate'>;
  readonly sessions: Pick<SessionService, 'start' | 'end'>;
}

/** Where to go after signing in: a portal path only, never another site (open redirect). */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/portal';
  // Resolved as a browser would (dot segments, percent-encoded ones too), then checked.
  const url = new URL(next, 'http://portal.invalid');
  if (url.origin !== 'http://portal.invalid' || !(url.pathname === '/portal' || url.pathname.startsWith('/portal/'))) return '/portal';
  return `${url.pathname}${url.search}`;
}

function signInForm(csrf: string, next: string, email = '', problem?: string): PortalResult {
  return page(
    'Sign in',
    html`<div class="card">
${problem === undefined ? '' : html`<p class="error" role="alert">${problem}</p>`}
<form method="post" action="/portal/sign-in">
${csrfField(csrf)}<input type="hidden" name="next" value="${next}">
<label for="email">Email</label><input type="email" id="email" name="email" autocomplete="username" required value="${email}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" class="primary">Sign in</button>
</form>
<p class="muted">No account yet? <a href="/portal/sign-up">Create one</a>.</p>
</div>`,
    { status: problem === undefined ? 200 : 401 },
  );
}

/** Sign-in and sign-out: the same accounts, password checks, throttle and session as the OAuth login pages. */
export function signInPages(deps: SignInDeps): PortalRoute[] {
  return [
    {
      method: 'GET',
      path: '/portal/sign-in',
      access: 'public',
      handle: async (req) => (req.account === undefined ? signInForm(req.csrf, safeNext(req.query.get('next'))) : redirect(safeNext(req.query.get('next')))),
    },
    {
      method: 'POST',
      path: '/portal/sign-in',
      access: 'public',
      handle: async (req) => {
        const form = req.form ?? new URLSearchParams();
        const email = form.get('email') ?? '';
        const next = safeNext(form.get('next'));
        try {
          const account = await deps.accounts.authenticate(email, form.get('password') ?? '', { ip: req.ip });
          return redirect(next, [await deps.sessions.start(account.id, req.cookieHeader)]);
        } catch (e) {
          if (e instanceof FhirkeepError && e.code === 'unauthorized') return signInForm(req.csrf, next, email, e.message);
          throw e;
        }
      },
    },
    {
      method: 'POST',
      path: '/portal/sign-out',
      access: 'public',
      handle: async (req) => redirect('/portal/sign-in', [await deps.sessions.end(req.cookieHeader)]),
    },
  ];
}
