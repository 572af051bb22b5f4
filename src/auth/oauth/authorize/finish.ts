import type { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { errorPage } from '../../views/error-page.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import { errorRedirect } from './authorize-response.js';
import { redirectTo, showPage, type FlowResult } from './flow-result.js';
import type { OpenedRequest } from './open-request.js';
import type { StoredAuthorizationRequest } from './pending-request.js';

export const ALREADY_DECIDED = 'This sign-in request has already been answered.';

/**
 * Ends a pending request: removed in one statement, so a double-clicked button or a replayed
 * form cannot answer it twice. Undefined when another submission got there first.
 */
export function takeRequest(opened: OpenedRequest, deps: Pick<AuthorizeDependencies, 'requests'>): Promise<StoredAuthorizationRequest | undefined> {
  return deps.requests.take(opened.stored.id, opened.browserHash);
}

/** Ends a pending request with an error sent to the client (RFC 6749 §4.1.2.1). */
export async function refuseRequest(opened: OpenedRequest, error: FhirkeepError, deps: Pick<AuthorizeDependencies, 'requests' | 'issuer'>): Promise<FlowResult> {
  const taken = await takeRequest(opened, deps);
  if (taken === undefined) return showPage(errorPage(400, ALREADY_DECIDED));
  return redirectTo(errorRedirect(taken.request, deps.issuer(), error), opened.cookies);
}
