import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { errorPage } from '../../views/error-page.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { errorRedirect } from './authorize-response.js';
import { ALREADY_DECIDED, takeRequest } from './finish.js';
import { continueUrl, redirectTo, showPage, type BrowserRequest, type FlowResult } from './flow-result.js';
import { issueCode } from './issue-code.js';
import { renderConsent } from './next-step.js';
import { isOpened, openForForm, signedInAccount } from './open-request.js';
import { patientChoice } from './patient-choice.js';
import { recordedConsent } from './recorded-consent.js';

/** POST of the consent page (or the picker's Cancel): Approve issues a code, Deny tells the app so. */
export async function submitConsent(form: URLSearchParams, browser: BrowserRequest, deps: AuthorizeDependencies): Promise<FlowResult> {
  const opened = await openForForm(form, browser, deps);
  if (!isOpened(opened)) return opened;
  const { stored, client } = opened;
  const decision = form.get('decision');

  if (decision === 'deny') {
    const taken = await takeRequest(opened, deps);
    if (taken === undefined) return showPage(errorPage(400, ALREADY_DECIDED));
    deps.recordSecurityEvent({
      kind: 'consent',
      outcome: 'failure',
      accountId: taken.accountId,
      clientId: client.id,
      ip: browser.ip,
      detail: { decision: 'deny', requested: taken.request.scopes },
    });
    // RFC 6749 §4.1.2.1 access_denied: the resource owner denied the request.
    return redirectTo(errorRedirect(taken.request, deps.issuer(), new FhirkeepError('access-denied', 'The user denied the request')));
  }
  if (decision !== 'approve') return showPage(errorPage(400, 'Approve or deny the request.'));

  const account = await signedInAccount(opened, browser, deps);
  const choice = account === undefined ? undefined : patientChoice(stored, account);
  // A form posted past the login or the picker goes back to the page it skipped.
  if (account === undefined || choice === undefined || choice.kind === 'pick' || choice.kind === 'unavailable') {
    return redirectTo(continueUrl(stored.id));
  }
  const patientId = choice.kind === 'known' ? choice.patientId : undefined;
  // The ticked boxes, and only among the scopes offered: a scope added to the form is ignored.
  const ticked = new Set(form.getAll('scope'));
  const granted = stored.request.scopes.filter((s) => ticked.has(s));
  if (granted.length === 0) {
    const reconfirm = (await recordedConsent(stored.request, client, account, deps)) === 'outdated';
    return showPage(await renderConsent(opened, account, patientId, deps, { reconfirm, error: 'Tick at least one permission, or deny the request.' }));
  }

  const taken = await takeRequest(opened, deps);
  if (taken === undefined) return showPage(errorPage(400, ALREADY_DECIDED));
  // Issue 5: Approve is the account's consent to the app, at its current filter version, with
  // these scopes: without it, the access engine lets the app see nothing of theirs or shared with them.
  await deps.consents.approve(account.id, client.id, granted);
  return issueCode(taken, account, patientId, granted, browser, deps, {
    decision: 'approve',
    unticked: taken.request.scopes.filter((s) => !ticked.has(s)),
  });
}
