import { FhirkeepError, isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { LaunchContext } from '../../grants/grant.js';
import type { AuthorizeDependencies } from './authorize-dependencies.js';
import type { AuthorizeParams } from './authorize-params.js';
import type { ResponseTarget } from './authorize-response.js';
import { PROMPTS, type PendingRequest, type Prompt } from './pending-request.js';
import { firstFailure } from './request-checks.js';
import { trustClientAndRedirect } from './trust-checks.js';

export type Validation =
  /** The client or its redirect URI cannot be trusted: an error page, never a redirect. */
  | { readonly kind: 'untrusted'; readonly message: string }
  /** A bad request from a trusted client: the error goes back to its redirect URI. */
  | { readonly kind: 'refused'; readonly target: ResponseTarget; readonly error: FhirkeepError }
  | { readonly kind: 'valid'; readonly request: PendingRequest };

type Deps = Pick<AuthorizeDependencies, 'clients' | 'scopes' | 'grants' | 'fhirBase'>;

/**
 * Checks an authorization request in the order the RFCs need: first whether the client and its
 * redirect URI can be trusted, then every other rule, then the scopes, and last the EHR
 * launch, because redeeming a launch uses it up.
 */
export async function validateAuthorizeRequest(params: AuthorizeParams, deps: Deps): Promise<Validation> {
  const trust = await trustClientAndRedirect(params, deps.clients);
  if (!trust.trusted) return { kind: 'untrusted', message: trust.message };
  const { client, redirectUri } = trust;
  const target: ResponseTarget = { redirectUri, state: params.values.get('state') };
  const refused = (error: FhirkeepError): Validation => ({ kind: 'refused', target, error });

  const failure = firstFailure({ params, client, fhirBase: deps.fhirBase() });
  if (failure !== undefined) return refused(failure);

  const scopeText = params.values.get('scope');
  // RFC 6749 §3.3: without a default scope, a missing one fails as invalid_scope.
  if (scopeText === undefined) return refused(new FhirkeepError('invalid-scope', 'scope is required'));
  let requested: readonly string[];
  try {
    // A scope named twice is one checkbox, one grant entry.
    requested = [...new Set(deps.scopes.parse(scopeText))];
  } catch (e) {
    if (isFhirkeepError(e) && e.code === 'invalid-scope') return refused(e);
    throw e;
  }
  const launch = params.values.get('launch');
  // SMART App Launch 2.x §"EHR launch": the launch parameter comes with the `launch` scope.
  if (launch !== undefined && !requested.includes('launch')) {
    return refused(new FhirkeepError('invalid-request', 'A launch parameter needs the launch scope'));
  }
  const { granted, refused: notAllowed } = deps.scopes.narrow(requested, client.scopes);
  // `launch` asks for an EHR's context; a standalone request has none to give.
  const offered = launch === undefined ? granted.filter((s) => s !== 'launch') : granted;
  const refusedScopes = launch === undefined && granted.includes('launch') ? [...notAllowed, 'launch'] : notAllowed;
  if (offered.length === 0) return refused(new FhirkeepError('invalid-scope', 'None of the requested scopes is available to this application'));

  let context: LaunchContext | undefined;
  if (launch !== undefined) {
    // SMART App Launch 2.x §"EHR launch": an opaque, single-use handle bound to this client.
    context = await deps.grants.consumeLaunch(launch, client.id);
    if (context === undefined) return refused(new FhirkeepError('invalid-request', 'The launch is unknown, expired, already used or for another application'));
  }

  const prompt = (params.values.get('prompt')?.split(' ') ?? []).filter((p): p is Prompt => (PROMPTS as readonly string[]).includes(p));
  return {
    kind: 'valid',
    request: {
      clientId: client.id,
      redirectUri,
      state: target.state,
      scopes: offered,
      refusedScopes,
      codeChallenge: params.values.get('code_challenge'),
      nonce: params.values.get('nonce'),
      prompt,
      launch: context,
    },
  };
}
