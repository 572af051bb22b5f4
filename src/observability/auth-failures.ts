/** Where a credential or a permission was refused: a bounded set, one per kind of endpoint. */
export type AuthEndpoint = 'fhir' | 'bulk' | 'token' | 'introspect' | 'revoke' | 'userinfo' | 'login' | 'hie' | 'api' | 'portal';

export interface AuthFailure {
  readonly endpoint: AuthEndpoint;
  /** An OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1) or one of a few fixed words; never caller input. */
  readonly reason: string;
}

/** The OAuth endpoints (and the research partners' alias of the token endpoint, CONTRACT.md). */
const OAUTH_ROUTES: Readonly<Record<string, AuthEndpoint>> = {
  '/oauth2/token': 'token',
  '/msk-apim/external/msk-oidc/oauth2/token': 'token',
  '/oauth2/introspect': 'introspect',
  '/oauth2/revoke': 'revoke',
  '/oauth2/userinfo': 'userinfo',
};

/** The forms a person signs in with a password: the authorization pages' and the portal's. */
const LOGIN_ROUTES = new Set(['/oauth2/authorize/login', '/portal/sign-in']);

const HIE_SIGN_IN = '/api/1.0/sso/signin';

/**
 * Whether an answer refused authentication or authorization, and why, from its route class
 * (http-metrics), its status and, at an OAuth endpoint, the error code it sent. One place sees
 * every refusal, whichever module made it; labels come from fixed tables only.
 */
export function authFailureOf(route: string, status: number, oauthError: string | undefined): AuthFailure | undefined {
  const oauth = OAUTH_ROUTES[route];
  if (oauth !== undefined) return oauthError !== undefined && status < 500 ? { endpoint: oauth, reason: oauthError } : undefined;
  if (route.startsWith('fhir:')) return bearerRefusal('fhir', status);
  if (route.startsWith('/fhir/bulk-')) return bearerRefusal('bulk', status);
  if (LOGIN_ROUTES.has(route)) return loginRefusal('login', status);
  if (route === HIE_SIGN_IN) {
    // The HIE dialect answers a wrong password with 404 (docs/hie.md); a 401 refuses the organization's token.
    if (status === 404) return { endpoint: 'hie', reason: 'invalid_credentials' };
    return status === 401 ? { endpoint: 'hie', reason: 'invalid_client' } : loginRefusal('hie', status);
  }
  if (route.startsWith('/api/1.0/sso/')) return status === 401 ? { endpoint: 'hie', reason: 'unauthenticated' } : undefined;
  if (route.startsWith('/api/')) return sessionRefusal('api', status);
  if (route.startsWith('/portal/')) return sessionRefusal('portal', status);
  return undefined;
}

/** RFC 6750 §3.1: what a protected resource answers a missing or bad token, or one without the scope. */
function bearerRefusal(endpoint: AuthEndpoint, status: number): AuthFailure | undefined {
  if (status === 401) return { endpoint, reason: 'invalid_token' };
  return status === 403 ? { endpoint, reason: 'insufficient_scope' } : undefined;
}

function loginRefusal(endpoint: AuthEndpoint, status: number): AuthFailure | undefined {
  if (status === 401) return { endpoint, reason: 'invalid_credentials' };
  return status === 429 ? { endpoint, reason: 'throttled' } : undefined;
}

function sessionRefusal(endpoint: AuthEndpoint, status: number): AuthFailure | undefined {
  if (status === 401) return { endpoint, reason: 'no_session' };
  return status === 403 ? { endpoint, reason: 'forbidden' } : undefined;
}
