import { PASSWORD_MIN_LENGTH } from '../../../auth/accounts/credentials-policy.js';
import { signUp, type SignUpDeps } from '../../../auth/accounts/sign-up.js';
import type { SessionService } from '../../../auth/sessions/session-service.js';
import { html } from '../../../auth/views/html.js';
import { isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';

export interface SignUpPageDeps extends SignUpDeps {
  readonly sessions: Pick<SessionService, 'start'>;
}

/** What the form keeps when it comes back with a problem; never the password. */
interface Entered {
  readonly role: string;
  readonly email: string;
  readonly name: string;
}

const EMPTY: Entered = { role: '', email: '', name: '' };

/** Errors the person can fix (or wait out) are shown on the form; anything else is the adapter's error page. */
const FORM_ERRORS = new Set(['bad-request', 'version-conflict', 'too-many-requests']);

function signUpForm(csrf: string, entered: Entered, problem?: { readonly message: string; readonly status: number }): PortalResult {
  const checked = (role: string) => (entered.role === role ? html` checked` : '');
  return page(
    'Create an account',
    html`<div class="card">
${problem === undefined ? '' : html`<p class="error" role="alert">${problem.message}</p>`}
<form method="post" action="/portal/sign-up">
${csrfField(csrf)}
<fieldset class="choices">
<legend>What is the account for?</legend>
<label class="option" for="role-patient"><input type="radio" id="role-patient" name="role" value="patient" required${checked('patient')}> Keeping my health records (account holder)</label>
<label class="option" for="role-developer"><input type="radio" id="role-developer" name="role" value="developer"${checked('developer')}> Developing apps and services (developer)</label>
</fieldset>
<label for="name">Your name</label>
<p class="hint" id="name-hint">Needed for an account holder: it becomes the name on your health record.</p>
<input type="text" id="name" name="name" autocomplete="name" aria-describedby="name-hint" value="${entered.name}">
<label for="email">Email</label><input type="email" id="email" name="email" autocomplete="username" required value="${entered.email}">
<label for="password">Password</label>
<p class="hint" id="password-hint">At least ${PASSWORD_MIN_LENGTH} characters; a few words you remember work well.</p>
<input type="password" id="password" name="password" autocomplete="new-password" aria-describedby="password-hint" required>
<label for="password-again">Repeat the password</label><input type="password" id="password-again" name="password_again" autocomplete="new-password" required>
<button type="submit" class="primary">Create account</button>
</form>
<p class="muted">Have an account already? <a href="/portal/sign-in">Sign in</a>.</p>
</div>`,
    { status: problem?.status ?? 200 },
  );
}

/**
 * `/portal/sign-up`: a person makes their own account, as an account holder (with their own
 * Patient) or as a developer, through the account service's `create` (its validation and
 * messages), behind the sign-up throttle; then they are signed in.
 */
export function signUpPages(deps: SignUpPageDeps): PortalRoute[] {
  return [
    {
      method: 'GET',
      path: '/portal/sign-up',
      access: 'public',
      handle: async (req) => (req.account === undefined ? signUpForm(req.csrf, EMPTY) : redirect('/portal')),
    },
    {
      method: 'POST',
      path: '/portal/sign-up',
      access: 'public',
      handle: async (req) => {
        const form = req.form ?? new URLSearchParams();
        const entered: Entered = { role: form.get('role') ?? '', email: form.get('email') ?? '', name: form.get('name') ?? '' };
        const password = form.get('password') ?? '';
        if (password !== (form.get('password_again') ?? '')) return signUpForm(req.csrf, entered, { message: 'The two passwords differ: type the same password twice', status: 400 });
        try {
          const account = await signUp(deps, { ...entered, password, ip: req.ip });
          return redirect('/portal', [await deps.sessions.start(account.id, req.cookieHeader)]);
        } catch (e) {
          if (isFhirkeepError(e) && FORM_ERRORS.has(e.code)) return signUpForm(req.csrf, entered, { message: e.message, status: e.status });
          throw e;
        }
      },
    },
  ];
}
