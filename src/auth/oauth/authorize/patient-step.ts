import { isFhirId } from '../../../fhir/fhir-id.js';
import { patientPickerPage } from '../../views/patient-picker-page.js';
import { errorPage } from '../../views/error-page.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { continueUrl, redirectTo, showPage, type BrowserRequest, type FlowResult } from './flow-result.js';
import { isOpened, openForForm, signedInAccount } from './open-request.js';
import { canPickPatients } from './patient-choice.js';

/** POST of the patient picker: only a patient the same search could list to this account is taken. */
export async function submitPatient(form: URLSearchParams, browser: BrowserRequest, deps: AuthorizeDependencies): Promise<FlowResult> {
  const opened = await openForForm(form, browser, deps);
  if (!isOpened(opened)) return opened;
  const account = await signedInAccount(opened, browser, deps);
  if (account === undefined) return redirectTo(continueUrl(opened.stored.id));
  if (!canPickPatients(account) || opened.stored.request.launch?.patient !== undefined) {
    return showPage(errorPage(400, 'This request does not let you choose a patient.'));
  }
  const id = form.get('patient') ?? '';
  const patient = isFhirId(id) ? await deps.patients.find(account, id) : undefined;
  if (patient === undefined) {
    return showPage(
      patientPickerPage({ ...opened.keys, clientName: opened.client.name, redirectUri: opened.stored.request.redirectUri, query: undefined, results: [], error: 'Choose a patient from the search results.', status: 400 }),
    );
  }
  await deps.requests.setPatient(opened.stored.id, patient.id);
  return redirectTo(continueUrl(opened.stored.id));
}
