/** Where the authorization server's endpoints are, from the public base URL. */
export interface AuthServerUrls {
  readonly issuer: string;
  readonly fhirBase: string;
  readonly authorize: string;
  readonly token: string;
  readonly introspect: string;
  readonly revoke: string;
  readonly userinfo: string;
  readonly jwks: string;
  readonly manage: string;
  /** RFC 8705 §5: the same endpoints on the mTLS listener, when there is one. */
  readonly mtls: { readonly token: string; readonly introspect: string; readonly revoke: string } | undefined;
}

export function authServerUrls(base: string, mtlsBase?: string): AuthServerUrls {
  return {
    issuer: base,
    fhirBase: `${base}/fhir`,
    authorize: `${base}/oauth2/authorize`,
    token: `${base}/oauth2/token`,
    introspect: `${base}/oauth2/introspect`,
    revoke: `${base}/oauth2/revoke`,
    userinfo: `${base}/oauth2/userinfo`,
    jwks: `${base}/oauth2/jwks`,
    manage: `${base}/portal`,
    mtls: mtlsBase === undefined ? undefined : { token: `${mtlsBase}/oauth2/token`, introspect: `${mtlsBase}/oauth2/introspect`, revoke: `${mtlsBase}/oauth2/revoke` },
  };
}

/** RFC 8705 metadata: tls_client_auth and certificate-bound tokens, offered only with an mTLS listener. */
function mtlsMetadata(u: AuthServerUrls): { methods: string[]; fields: Record<string, unknown> } {
  if (u.mtls === undefined) return { methods: AUTH_METHODS, fields: {} };
  return {
    methods: [...AUTH_METHODS, 'tls_client_auth'],
    fields: {
      tls_client_certificate_bound_access_tokens: true,
      mtls_endpoint_aliases: { token_endpoint: u.mtls.token, introspection_endpoint: u.mtls.introspect, revocation_endpoint: u.mtls.revoke },
    },
  };
}

const SCOPES_SUPPORTED = [
  'openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'offline_access', 'online_access',
  'patient/*.read', 'patient/*.rs', 'user/*.read', 'user/*.rs', 'user/*.cruds', 'system/*.read', 'system/*.rs', 'system/*.cruds',
];
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];

/** GET /fhir/.well-known/smart-configuration (SMART App Launch 2.x §"Metadata"). */
export function smartConfiguration(u: AuthServerUrls): Record<string, unknown> {
  const mtls = mtlsMetadata(u);
  return {
    issuer: u.issuer,
    jwks_uri: u.jwks,
    authorization_endpoint: u.authorize,
    token_endpoint: u.token,
    token_endpoint_auth_methods_supported: mtls.methods,
    ...mtls.fields,
    // SMART Backend Services: assertions signed with RS384 or ES384.
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    grant_types_supported: GRANT_TYPES,
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    management_endpoint: u.manage,
    introspection_endpoint: u.introspect,
    revocation_endpoint: u.revoke,
    userinfo_endpoint: u.userinfo,
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'authorize-post',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'sso-openid-connect',
      'context-banner',
      'context-style',
      'context-ehr-patient',
      'context-ehr-encounter',
      'context-standalone-patient',
      'permission-offline',
      'permission-online',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
}

/** GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0 §3) and RFC 8414 metadata. */
export function authorizationServerMetadata(u: AuthServerUrls): Record<string, unknown> {
  const mtls = mtlsMetadata(u);
  return {
    issuer: u.issuer,
    authorization_endpoint: u.authorize,
    token_endpoint: u.token,
    userinfo_endpoint: u.userinfo,
    jwks_uri: u.jwks,
    introspection_endpoint: u.introspect,
    revocation_endpoint: u.revoke,
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: GRANT_TYPES,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: mtls.methods,
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    introspection_endpoint_auth_methods_supported: mtls.methods,
    revocation_endpoint_auth_methods_supported: mtls.methods,
    ...mtls.fields,
    code_challenge_methods_supported: ['S256'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'fhirUser', 'name', 'email'],
    authorization_response_iss_parameter_supported: true,
  };
}
