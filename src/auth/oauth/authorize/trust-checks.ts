import type { RegisteredClient } from '../../clients/client.js';
import type { ClientDirectory } from './authorize-dependencies.js';
import type { AuthorizeParams } from './authorize-params.js';

export type TrustResult =
  | { readonly trusted: true; readonly client: RegisteredClient; readonly redirectUri: string }
  /** Shown on an error page: RFC 6749 §4.1.2.1 forbids redirecting to an unverified URI. */
  | { readonly trusted: false; readonly message: string };

/**
 * The two checks before anything may be sent to the client's redirect URI: the client exists
 * and is active (RFC 6749 §4.1.2.1), and the redirect URI is one it registered, compared as
 * exact strings (RFC 9700 §4.1.3, RFC 6749 §3.1.2.3).
 */
export async function trustClientAndRedirect(params: AuthorizeParams, clients: ClientDirectory): Promise<TrustResult> {
  if (params.duplicates.has('client_id')) return { trusted: false, message: 'The request names its client more than once.' };
  const clientId = params.values.get('client_id');
  if (clientId === undefined) return { trusted: false, message: 'The request does not say which application is asking (client_id is missing).' };
  const client = await clients.find(clientId);
  if (client === undefined || client.revoked) return { trusted: false, message: 'The application asking is unknown or has been revoked.' };

  if (params.duplicates.has('redirect_uri')) return { trusted: false, message: 'The request names its redirect URI more than once.' };
  const given = params.values.get('redirect_uri');
  if (given === undefined) {
    // RFC 6749 §3.1.2.3: optional only when the client registered exactly one.
    const [only, ...more] = client.redirectUris;
    if (only === undefined || more.length > 0) return { trusted: false, message: 'The request has no redirect URI, and the application registered more than one (or none).' };
    return { trusted: true, client, redirectUri: only };
  }
  if (!client.redirectUris.includes(given)) return { trusted: false, message: 'The redirect URI is not one the application registered.' };
  return { trusted: true, client, redirectUri: given };
}
