import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { Account } from '../../accounts/account.js';
import { consentPage } from '../../views/consent-page.js';
import { errorPage } from '../../views/error-page.js';
import type { HtmlPage } from '../../views/layout.js';
import { loginPage } from '../../views/login-page.js';
import { patientPickerPage } from '../../views/patient-picker-page.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { ALREADY_DECIDED, refuseRequest, takeRequest } from './finish.js';
import { showPage, type BrowserRequest, type FlowResult } from './flow-result.js';
import { issueCode } from './issue-code.js';
import type { OpenedRequest } from './open-request.js';
import { patientChoice } from './patient-choice.js';
import { recordedConsent } from './recorded-consent.js';

/** How many patients one picker search lists. */
const PICKER_LIMIT = 20;

/**
 * The page a pending request needs next: sign in, then (for `launch/patient` without an EHR
 * patient) a patient, then consent — unless the holder's consent for the app covers the request,
 * which then gets its code at once. `prompt` (OpenID Connect Core §3.1.2.1) steers both.
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

  const choice = patientChoice(stored, account);
  if (choice.kind === 'unavailable') {
    return refuseRequest(opened, new FhirkeepError('access-denied', 'This account has no patient record to share'), deps);
  }
  if (choice.kind === 'pick') {
    // OpenID Connect Core §3.1.2.6: prompt=none shows no page, the picker included.
    if (prompt.includes('none')) return refuseRequest(opened, new FhirkeepError('consent-required', 'The user must choose a patient and approve this application'), deps);
    const query = patientQuery?.trim();
    const results = query === undefined || query === '' ? [] : await deps.patients.search(account, query, PICKER_LIMIT);
    return showPage(patientPickerPage({ ...keys, clientName: client.name, redirectUri: stored.request.redirectUri, query: query === '' ? undefined : query, results }), cookies);
  }
  const patientId = choice.kind === 'known' ? choice.patientId : undefined;
  // Issue 5: the consent page shows on first use of an app and again after its access filter
  // changed; an active consent at the current filter that covers every requested scope answers
  // the request without it (so prompt=none can succeed), unless prompt=consent asks for the page.
  const recorded = await recordedConsent(stored.request, client, account, deps);
  if (recorded === 'covers' && !prompt.includes('consent')) {
    const taken = await takeRequest(opened, deps);
    if (taken === undefined) return showPage(errorPage(400, ALREADY_DECIDED));
    return issueCode(taken, account, patientId, taken.request.scopes, browser, deps, { decision: 'consented-before' }, cookies);
  }
  // OpenID Connect Core §3.1.2.6: prompt=none must not show the consent page.
  if (prompt.includes('none')) return refuseRequest(opened, new FhirkeepError('consent-required', 'The user must approve this application'), deps);
  return showPage(await renderConsent(opened, account, patientId, deps, { reconfirm: recorded === 'outdated' }), cookies);
}

/**
 * The consent page, naming the patient the app will see and what its access filter lets it see;
 * `reconfirm` when the holder's consent was given for an older filter.
 */
export async function renderConsent(
  opened: OpenedRequest,
  account: Account,
  patientId: string | undefined,
  deps: Pick<AuthorizeDependencies, 'patients' | 'describeAccess'>,
  options: { readonly reconfirm: boolean; readonly error?: string },
): Promise<HtmlPage> {
  const patient = patientId === undefined ? undefined : await patientLabel(account, patientId, deps);
  return consentPage({
    ...opened.keys,
    clientName: opened.client.name,
    redirectUri: opened.stored.request.redirectUri,
    accountName: account.displayName ?? account.email,
    patient,
    scopes: opened.stored.request.scopes,
    access: await deps.describeAccess(opened.client),
    reconfirm: options.reconfirm,
    ...(options.error === undefined ? {} : { error: options.error, status: 400 }),
  });
}

async function patientLabel(account: Account, patientId: string, deps: Pick<AuthorizeDependencies, 'patients'>): Promise<string> {
  if (account.patientId === patientId) return 'your own record';
  const found = await deps.patients.find(account, patientId);
  return `the record of ${found === undefined ? `Patient/${patientId}` : found.name}`;
}
