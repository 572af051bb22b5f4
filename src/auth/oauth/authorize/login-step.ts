import { isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { Account } from '../../accounts/account.js';
import { loginPage } from '../../views/login-page.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { continueUrl, redirectTo, showPage, type BrowserRequest, type FlowResult } from './flow-result.js';
import { isOpened, openForForm } from './open-request.js';

/** POST of the login page: a new session for the account, then on to the next page. */
export async function submitLogin(form: URLSearchParams, browser: BrowserRequest, deps: AuthorizeDependencies): Promise<FlowResult> {
  const opened = await openForForm(form, browser, deps);
  if (!isOpened(opened)) return opened;
  const { stored, client, keys } = opened;
  const email = form.get('email')?.trim() ?? '';
  const password = form.get('password') ?? '';
  const again = (status: number, error: string, headers?: Record<string, string>): FlowResult =>
    showPage(loginPage({ ...keys, clientName: client.name, redirectUri: stored.request.redirectUri, email, error, status, ...(headers === undefined ? {} : { headers }) }));
  if (email === '' || password === '') return again(400, 'Enter your email and your password.');

  let account: Account;
  try {
    // The account service records the attempt (success or failure), with this client.
    account = await deps.accounts.authenticate(email, password, { ip: browser.ip, clientId: client.id });
  } catch (e) {
    if (!isFhirkeepError(e) || (e.code !== 'unauthorized' && e.code !== 'too-many-requests')) throw e;
    if (e.code === 'unauthorized') {
      // One message for an unknown email and a wrong password: the page never tells which accounts exist.
      return again(401, 'The email or the password is not right.');
    }
    const retryAfter = e.headers['Retry-After'] ?? e.headers['retry-after'];
    const wait = retryAfter === undefined ? 'a while' : `${retryAfter} seconds`;
    return again(429, `Too many sign-in attempts. Try again in ${wait}.`, retryAfter === undefined ? undefined : { 'retry-after': retryAfter });
  }
  const cookie = await deps.sessions.start(account.id, browser.cookieHeader);
  await deps.requests.setAccount(stored.id, account.id);
  return redirectTo(continueUrl(stored.id), [cookie]);
}
