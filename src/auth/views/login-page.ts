import { AUTHORIZE_PATHS } from '../oauth/authorize/paths.js';
import { html } from './html.js';
import { layout, type HtmlPage } from './layout.js';
import { requestFields, type RequestFormKeys } from './request-form.js';

export interface LoginPageInput extends RequestFormKeys {
  readonly clientName: string;
  readonly redirectUri: string;
  /** Shown again after a failed attempt, so only the password must be retyped. */
  readonly email?: string;
  /** Never says whether the email exists (no account enumeration). */
  readonly error?: string;
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export function loginPage(input: LoginPageInput): HtmlPage {
  const error = input.error === undefined ? undefined : html`<p class="error" role="alert">${input.error}</p>`;
  return {
    status: input.status ?? 200,
    formTargets: [input.redirectUri],
    ...(input.headers === undefined ? {} : { headers: input.headers }),
    body: layout(
      'Sign in',
      html`<p><strong>${input.clientName}</strong> asks to use your Fhirkeep account.</p>
${error}
<form method="post" action="${AUTHORIZE_PATHS.login}">
${requestFields(input)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${input.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">Sign in</button>
</form>`,
    ),
  };
}
