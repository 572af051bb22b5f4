import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { Account } from '../../accounts/account.js';
import { consentPage } from '../../views/consent-page.js';
import type { HtmlPage } from '../../views/layout.js';
import { loginPage } from '../../views/login-page.js';
import { patientPickerPage } from '../../views/patient-picker-page.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { refuseRequest } from './finish.js';
import { showPage, type BrowserRequest, type FlowResult } from './flow-result.js';
import type { OpenedRequest } from './open-request.js';
import { patientChoice } from './patient-choice.js';

/** How many patients one picker search lists. */
const PICKER_LIMIT = 20;

/**
 * The page a pending request needs next: sign in, then (for `launch/patient` without an EHR
 * patient) a patient, then consent. `prompt` (OpenID Connect Core §3.1.2.1) steers the first.
 */
export async function nextStep(opened: OpenedRequest, browser: BrowserRequest, deps: AuthorizeDependencies, patientQuery: string | undefined): Promise<FlowResult> {
  const { stored, client, keys, cookies } = opened;
  const prompt = stored.request.prompt;
  const session = await deps.sessions.current(browser.cookieHeader);
  let accountId = stored.accountId;
  if (accountId === undefined && session !== undefined && !prompt.includes('login')) {
    // Already signed in (and no prompt=login): no password again.
    accountId = session.account.id;
    await deps.requests.setAccount(stored.id, accountId);
  }
  if (accountId === undefined || session?.account.id !== accountId) {
    // OpenID Connect Core §3.1.2.6: prompt=none must not show the login page.
    if (prompt.includes('none')) return refuseRequest(opened, new FhirkeepError('login-required', 'The user is not signed in'), deps);
    return showPage(loginPage({ ...keys, clientName: client.name, redirectUri: stored.request.redirectUri }), cookies);
  }
  const account = session.account;
  // Every grant is the user's explicit decision: prompt=none can never skip the consent page.
  if (prompt.includes('none')) return refuseRequest(opened, new FhirkeepError('consent-required', 'The user must approve this application'), deps);

  const choice = patientChoice(stored, account);
  if (choice.kind === 'unavailable') {
    return refuseRequest(opened, new FhirkeepError('access-denied', 'This account has no patient record to share'), deps);
  }
  if (choice.kind === 'pick') {
    const query = patientQuery?.trim();
    const results = query === undefined || query === '' ? [] : await deps.patients.search(account, query, PICKER_LIMIT);
    return showPage(patientPickerPage({ ...keys, clientName: client.name, redirectUri: stored.request.redirectUri, query: query === '' ? undefined : query, results }), cookies);
  }
  return showPage(await renderConsent(opened, account, choice.kind === 'known' ? choice.patientId : undefined, deps), cookies);
}

/** The consent page, naming the patient the app will see. */
export async function renderConsent(
  opened: OpenedRequest,
  account: Account,
  patientId: string | undefined,
  deps: Pick<AuthorizeDependencies, 'patients'>,
  error?: string,
): Promise<HtmlPage> {
  const patient = patientId === undefined ? undefined : await patientLabel(account, patientId, deps);
  return consentPage({
    ...opened.keys,
    clientName: opened.client.name,
    redirectUri: opened.stored.request.redirectUri,
    accountName: account.displayName ?? account.email,
    patient,
    scopes: opened.stored.request.scopes,
    ...(error === undefined ? {} : { error, status: 400 }),
  });
}

async function patientLabel(account: Account, patientId: string, deps: Pick<AuthorizeDependencies, 'patients'>): Promise<string> {
  if (account.patientId === patientId) return 'your own record';
  const found = await deps.patients.find(account, patientId);
  return found === undefined ? `Patient/${patientId}` : found.name;
}
