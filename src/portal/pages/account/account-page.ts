import type { Account } from '../../../auth/accounts/account.js';
import type { AccountService } from '../../../auth/accounts/account-service.js';
import { PASSWORD_MIN_LENGTH } from '../../../auth/accounts/credentials-policy.js';
import { changePasswordEverywhere, type PasswordChangeDeps } from '../../../auth/accounts/password-change.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';

export interface AccountPageDeps extends PasswordChangeDeps {
  readonly accounts: PasswordChangeDeps['accounts'] & Pick<AccountService, 'organizationsOf'>;
}

/** Refusals the form shows beside itself: a wrong current password, the policy's message, the throttle. */
const FORM_ERRORS = new Set(['bad-request', 'forbidden', 'too-many-requests']);

const optional = (value: string | undefined): SafeHtml | string => (value === undefined ? html`<span class="muted">none</span>` : html`<code>${value}</code>`);

async function accountPage(deps: AccountPageDeps, req: PortalRequest, account: Account, outcome?: { readonly problem: string; readonly status: number }): Promise<PortalResult> {
  const memberships = await deps.accounts.organizationsOf(account.id);
  const changed = outcome === undefined && req.query.get('password') === 'changed';
  return page(
    'Account',
    html`<section class="card" aria-labelledby="details">
<h2 id="details">Your account</h2>
<table>
<tr><th scope="row">Email</th><td>${account.email}</td></tr>
<tr><th scope="row">Name</th><td>${account.displayName ?? html`<span class="muted">none</span>`}</td></tr>
<tr><th scope="row">Roles</th><td>${account.roles.join(', ')}</td></tr>
<tr><th scope="row">Patient id</th><td>${optional(account.patientId)}</td></tr>
<tr><th scope="row">Practitioner id</th><td>${optional(account.practitionerId)}</td></tr>
<tr><th scope="row">Account id</th><td><code>${account.id}</code></td></tr>
</table>
</section>
<section class="card" aria-labelledby="organizations">
<h2 id="organizations">Organizations</h2>
${
  memberships.length === 0
    ? html`<p class="muted">You belong to no organization or team.</p>`
    : html`<div class="table-scroll"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Your role</th></tr></thead>
<tbody>${memberships.map((m) => html`<tr><td>${m.organization.name}</td><td>${m.organization.kind}</td><td>${m.role}</td></tr>`)}</tbody>
</table></div>`
}
</section>
<section class="card" aria-labelledby="password">
<h2 id="password">Change password</h2>
${changed ? html`<p class="success" role="status">Your password is changed. Every other browser signed in to your account has been signed out.</p>` : ''}
${outcome === undefined ? '' : html`<p class="error" role="alert">${outcome.problem}</p>`}
<form method="post" action="/portal/account/password">
${csrfField(req.csrf)}
<label for="current-password">Current password</label><input type="password" id="current-password" name="current_password" autocomplete="current-password" required>
<label for="new-password">New password</label>
<p class="hint" id="new-password-hint">At least ${PASSWORD_MIN_LENGTH} characters. Other browsers signed in to your account will be signed out.</p>
<input type="password" id="new-password" name="new_password" autocomplete="new-password" aria-describedby="new-password-hint" required>
<label for="new-password-again">New password again</label><input type="password" id="new-password-again" name="new_password_again" autocomplete="new-password" required>
<button type="submit" class="primary">Change password</button>
</form>
</section>`,
    { status: outcome?.status ?? 200 },
  );
}

function signedIn(req: PortalRequest): Account {
  if (req.account === undefined) throw new Error('signed-in page without an account');
  return req.account;
}

/**
 * `/portal/account`: who the signed-in person is (email, name, roles, linked Patient and
 * Practitioner, organizations), and the password change form, which calls the same change as
 * `PUT /api/account/password`.
 */
export function accountPages(deps: AccountPageDeps): PortalRoute[] {
  return [
    {
      method: 'GET',
      path: '/portal/account',
      access: 'signed-in',
      handle: async (req) => accountPage(deps, req, signedIn(req)),
    },
    {
      method: 'POST',
      path: '/portal/account/password',
      access: 'signed-in',
      handle: async (req) => {
        const account = signedIn(req);
        const form = req.form ?? new URLSearchParams();
        const next = form.get('new_password') ?? '';
        if (next !== (form.get('new_password_again') ?? '')) {
          return accountPage(deps, req, account, { problem: 'The two new passwords differ: type the same new password twice', status: 400 });
        }
        try {
          const cookie = await changePasswordEverywhere(deps, account.id, { current: form.get('current_password') ?? '', next }, { ip: req.ip, cookieHeader: req.cookieHeader });
          return redirect('/portal/account?password=changed', [cookie]);
        } catch (e) {
          if (isFhirkeepError(e) && FORM_ERRORS.has(e.code)) return accountPage(deps, req, account, { problem: e.message, status: e.status });
          throw e;
        }
      },
    },
  ];
}
