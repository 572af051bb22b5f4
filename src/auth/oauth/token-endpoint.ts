import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { GrantStore } from '../../storage/auth/grant-store.js';
import type { Account } from '../accounts/account.js';
import type { AuthenticateClient, ConnectionCertificate } from '../clients/client-authentication.js';
import { isKeyRefreshToken } from '../keys/key-service.js';
import type { KeyAuthenticator, PresentedCertificate } from '../keys/key-authentication.js';
import type { AuthenticatedClient, RegisteredClient } from '../clients/client.js';
import type { RecordSecurityEvent } from '../security-events.js';
import type { AccessTokens } from '../tokens/access-token.js';
import type { IdTokens } from '../tokens/id-token.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { keyRefreshGrant, type KeyRefreshDeps } from './grants/key-refresh.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import type { OAuthParams } from './oauth-form.js';
import type { TokenResponse } from './token-response.js';

/** The SMART scope grammar, as the token endpoint needs it. */
export interface ScopeRules {
  /** Splits and checks a scope parameter; throws `invalid-scope` on a malformed scope. */
  parse(text: string): readonly string[];
  /** Which of `requested` fall within `allowed` (wildcards, v1/v2 equivalence, granular filters). */
  narrow(requested: readonly string[], allowed: readonly string[]): { granted: string[]; refused: string[] };
}

export interface TokenEndpointDependencies {
  readonly authenticateClient: AuthenticateClient;
  readonly grants: GrantStore;
  readonly accessTokens: AccessTokens;
  readonly idTokens: IdTokens;
  readonly scopes: ScopeRules;
  readonly findAccount: (id: string) => Promise<Account | undefined>;
  readonly record: RecordSecurityEvent;
  /** What client assertions may name as aud: the token endpoint URL and the issuer. */
  readonly assertionAudiences: () => readonly string[];
  readonly fhirBase: () => string;
  /** The scopes a client's access filter implies (introspection's `filter_scope`); undefined without a filter. */
  readonly filterScopes: (client: RegisteredClient) => readonly string[] | undefined;
  /** Refresh keys' tokens (docs/service-keys.md). */
  readonly keyRefresh: KeyRefreshDeps;
  /** Matches an mTLS connection's certificate to a service key (tls_client_auth). */
  readonly keyAuthentication: KeyAuthenticator;
}

export interface TokenRequest {
  readonly params: OAuthParams;
  readonly authorization: string | undefined;
  readonly ip: string;
  /** The client certificate of an mTLS connection, if any. */
  readonly certificate?: PresentedCertificate | undefined;
  /**
   * The parameters came in the query string (research partners' documented form). Allowed only
   * for their client_credentials request: anyone else's secret, code or refresh token in a URL
   * would end up in every proxy's access log (RFC 6749 §3.2: parameters go in the body).
   */
  readonly paramsInQuery?: boolean;
}

/** One module per grant type (RFC 6749 §4.1.3, §4.4.2, §6). */
export type GrantHandler = (request: TokenRequest, client: AuthenticatedClient, deps: TokenEndpointDependencies) => Promise<TokenResponse>;

const GRANT_HANDLERS: Readonly<Record<string, GrantHandler>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};

/** POST /oauth2/token (RFC 6749 §3.2): authenticate the client, then hand over to its grant type. */
export async function handleTokenRequest(request: TokenRequest, deps: TokenEndpointDependencies): Promise<TokenResponse> {
  const grantType = request.params.require('grant_type');
  const handler = Object.hasOwn(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType] : undefined;
  // RFC 6749 §5.2: unsupported_grant_type, checked before the client so the answer names the real problem.
  if (handler === undefined) throw new FhirkeepError('unsupported-grant-type', `The grant type ${grantType} is not supported`);
  let client: AuthenticatedClient | undefined;
  let keyClient: string | undefined;
  try {
    if (request.paramsInQuery === true && grantType !== 'client_credentials') throw queryRefused();
    const refreshToken = grantType === 'refresh_token' ? request.params.get('refresh_token') : undefined;
    if (isKeyRefreshToken(refreshToken)) {
      const { clientId, ...response } = await keyRefreshGrant(request, refreshToken, deps, deps.keyRefresh);
      keyClient = clientId;
      return response;
    }
    client = await deps.authenticateClient({
      authorization: request.authorization,
      form: request.params,
      audiences: deps.assertionAudiences(),
      certificate: request.certificate === undefined ? undefined : await connectionCertificate(request.certificate, deps.keyAuthentication),
    });
    if (request.paramsInQuery === true && client.client.type !== 'research') throw queryRefused();
    return await handler(request, client, deps);
  } catch (e) {
    deps.record({
      kind: grantType === 'refresh_token' ? 'token-refresh' : 'token-issue',
      outcome: 'failure',
      // A failed client authentication names only the client it claimed to be (never a secret).
      clientId: client?.client.id ?? keyClient ?? request.params.get('client_id')?.slice(0, 128),
      ip: request.ip,
      detail: { grant_type: grantType, error: e instanceof FhirkeepError ? e.code : 'internal', ...(client === undefined ? { stage: 'client authentication' } : {}) },
    });
    throw e;
  }
}

function queryRefused(): FhirkeepError {
  return new FhirkeepError('invalid-request', 'Send the token request parameters in an application/x-www-form-urlencoded body (only research partners may use the query string)');
}

/** The service key an mTLS connection's certificate belongs to, or why it belongs to none. */
export async function connectionCertificate(presented: PresentedCertificate, keys: KeyAuthenticator): Promise<ConnectionCertificate> {
  try {
    const key = await keys.certificate(presented);
    return { clientId: key.clientId, thumbprint: presented.thumbprint };
  } catch (e) {
    if (e instanceof FhirkeepError) return { problem: e.message };
    throw e;
  }
}
