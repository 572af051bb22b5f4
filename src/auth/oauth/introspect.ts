import type { AuthenticatedClient, RegisteredClient } from '../clients/client.js';
import type { AccessTokens } from '../tokens/access-token.js';
import type { GrantStore } from '../../storage/auth/grant-store.js';
import { resolvePresentedToken } from './presented-token.js';
import type { OAuthParams } from './oauth-form.js';

/**
 * RFC 7662 §2.2, with the SMART token-introspection members (`patient`, `fhirUser`) and
 * `filter_scope`: the scopes the client's access filter implies (issue 5), space-separated like
 * `scope`, for clients that have a filter (RFC 7662 §2.2 allows further members). `scope` stays
 * the token's own scopes.
 */
export type IntrospectionResponse =
  | { readonly active: false }
  | {
      readonly active: true;
      readonly scope: string;
      readonly client_id: string;
      readonly token_type: 'Bearer' | 'refresh_token';
      readonly exp: number;
      readonly iat?: number;
      readonly sub?: string;
      readonly aud?: string;
      readonly iss?: string;
      readonly patient?: string;
      readonly fhirUser?: string;
      readonly filter_scope?: string;
      /** RFC 8705 §3.2: the certificate a bound token is confirmed by. */
      readonly cnf?: { readonly 'x5t#S256': string };
    };

const INACTIVE = { active: false } as const;

/**
 * POST /oauth2/introspect. A client sees only its own tokens: anything else — unknown, expired,
 * revoked, malformed or another client's — is exactly `{"active": false}` (RFC 7662 §2.2, §4),
 * so introspection cannot be used to probe for tokens.
 */
export async function introspect(
  params: OAuthParams,
  { client }: AuthenticatedClient,
  deps: {
    readonly accessTokens: AccessTokens;
    readonly grants: GrantStore;
    readonly filterScopes: (client: RegisteredClient) => readonly string[] | undefined;
    /** Whether the key a bound token's certificate was signed for still stands (a revoked key ends its tokens). */
    readonly boundKeyStands: (thumbprint: string) => Promise<boolean>;
  },
): Promise<IntrospectionResponse> {
  const found = await resolvePresentedToken(params.require('token'), deps);
  if (found === undefined) return INACTIVE;
  const filterScope = () => {
    const implied = deps.filterScopes(client);
    return implied === undefined ? {} : { filter_scope: implied.join(' ') };
  };
  if (found.kind === 'access') {
    const { claims } = found;
    if (claims.client_id !== client.id) return INACTIVE;
    // RFC 8705 §3: a bound token is as good as its certificate, which its key's revocation ends.
    if (claims.cnf !== undefined && !(await deps.boundKeyStands(claims.cnf['x5t#S256']))) return INACTIVE;
    return {
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      ...(claims.patient === undefined ? {} : { patient: claims.patient }),
      ...(claims.fhirUser === undefined ? {} : { fhirUser: claims.fhirUser }),
      ...(claims.cnf === undefined ? {} : { cnf: claims.cnf }),
      ...filterScope(),
    };
  }
  const refresh = found.token;
  const { grant } = refresh;
  if (refresh.used || grant.revoked || grant.clientId !== client.id || refresh.expiresAt.getTime() <= Date.now()) return INACTIVE;
  return {
    active: true,
    scope: refresh.scopes.join(' '),
    client_id: grant.clientId,
    token_type: 'refresh_token',
    exp: Math.floor(refresh.expiresAt.getTime() / 1000),
    ...(grant.accountId === undefined ? {} : { sub: grant.accountId }),
    ...filterScope(),
  };
}
