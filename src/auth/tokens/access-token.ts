import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { BoundedCache } from '../../bounded-cache.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { KeyRing } from './key-ring.js';
import { LIFETIMES } from './lifetimes.js';
import type { RevocationView } from './revocation-view.js';

/**
 * The claims of a Fhirkeep access token (RFC 9068 JWT profile, `typ: at+jwt`). `scope` is the
 * space-separated granted scopes; `gid` names the grant, which revocation hits.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  /** The account for user tokens, the client for client-credentials tokens (RFC 9068 §2.2). */
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope: string;
  readonly gid: string;
  /** The account a user token acts for; absent for client-credentials tokens. */
  readonly account?: string;
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirUser?: string;
  /** RFC 8705 §3.1: the token is bound to the client certificate with this SHA-256 thumbprint. */
  readonly cnf?: { readonly 'x5t#S256': string };
}

export type NewAccessToken = Omit<AccessTokenClaims, 'iss' | 'aud' | 'exp' | 'iat' | 'jti'>;

export interface AccessTokens {
  /** `lifetime` in seconds: LIFETIMES.accessToken unless said (a refresh key's tokens live longer). */
  issue(claims: NewAccessToken, lifetime?: number): Promise<{ readonly token: string; readonly expiresIn: number; readonly claims: AccessTokenClaims }>;
  /**
   * The claims of a token this server issued for its FHIR API, checked for signature, issuer,
   * audience, expiry and revocation; throws `unauthorized` (RFC 6750 §3.1 invalid_token).
   */
  verify(token: string): Promise<AccessTokenClaims>;
  /** Like verify, but undefined instead of an error (introspection answers `active: false`). */
  inspect(token: string): Promise<AccessTokenClaims | undefined>;
}

/** Verified tokens kept, so a token's signature is checked once, not on every request it makes. */
const VERIFIED_CACHE_SIZE = 10_000;

export function createAccessTokens(options: {
  readonly issuer: () => string;
  readonly audience: () => string;
  readonly keys: KeyRing;
  readonly revocations: RevocationView;
}): AccessTokens {
  const { keys, revocations } = options;
  const verified = new BoundedCache<string, AccessTokenClaims>(VERIFIED_CACHE_SIZE);

  const check = async (token: string): Promise<AccessTokenClaims> => {
    const claims = verified.get(token) ?? verified.set(token, await verifySignature(token));
    // Expiry and revocation are checked on every use; only the signature check is cached.
    if (claims.exp * 1000 <= Date.now()) {
      verified.delete(token);
      throw invalid('The access token has expired');
    }
    if (revocations.isRevoked(claims)) throw invalid('The access token has been revoked');
    return claims;
  };

  const verifySignature = async (token: string): Promise<AccessTokenClaims> => {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw invalid('The access token is not a JWT');
    }
    const key = kid === undefined ? undefined : await keys.verifier(kid);
    if (key === undefined || key.alg !== 'ES256') throw invalid('The access token was not signed by this server');
    try {
      const { payload } = await jwtVerify(token, key.key, {
        algorithms: ['ES256'],
        issuer: options.issuer(),
        audience: options.audience(),
        typ: 'at+jwt',
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id', 'scope', 'gid'],
      });
      return claimsOf(payload);
    } catch (e) {
      throw invalid(e instanceof errors.JWTExpired ? 'The access token has expired' : 'The access token is not valid for this server');
    }
  };

  return {
    async issue(claims, lifetime = LIFETIMES.accessToken) {
      const { kid, key } = keys.signer('ES256');
      const iat = Math.floor(Date.now() / 1000);
      const full: AccessTokenClaims = { ...claims, iss: options.issuer(), aud: options.audience(), iat, exp: iat + lifetime, jti: randomUUID() };
      const token = await new SignJWT({ ...full }).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
      return { token, expiresIn: lifetime, claims: full };
    },
    verify: check,
    async inspect(token) {
      try {
        return await check(token);
      } catch {
        return undefined;
      }
    },
  };
}

function claimsOf(p: JWTPayload): AccessTokenClaims {
  const text = (name: string): string | undefined => (typeof p[name] === 'string' ? (p[name] as string) : undefined);
  const required = (name: string): string => {
    const v = text(name);
    if (v === undefined) throw invalid(`The access token has no ${name}`);
    return v;
  };
  const optional = (name: 'account' | 'patient' | 'encounter' | 'fhirUser') => {
    const v = text(name);
    return v === undefined ? {} : { [name]: v };
  };
  return {
    iss: required('iss'),
    sub: required('sub'),
    aud: typeof p.aud === 'string' ? p.aud : (p.aud ?? []).join(' '),
    exp: p.exp ?? 0,
    iat: p.iat ?? 0,
    jti: required('jti'),
    client_id: required('client_id'),
    scope: required('scope'),
    gid: required('gid'),
    ...optional('account'),
    ...optional('patient'),
    ...optional('encounter'),
    ...optional('fhirUser'),
    ...confirmation(p.cnf),
  };
}

/** RFC 8705 §3.1 `cnf`; a confirmation this server cannot check makes the token unusable, not unbound. */
function confirmation(cnf: unknown): Pick<AccessTokenClaims, 'cnf'> {
  if (cnf === undefined) return {};
  const thumbprint = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  if (typeof thumbprint !== 'string' || thumbprint === '') throw invalid('The access token has a confirmation (cnf) this server cannot check');
  return { cnf: { 'x5t#S256': thumbprint } };
}

function invalid(description: string): FhirkeepError {
  // RFC 6750 §3: the challenge names the error so clients know to get a new token.
  return new FhirkeepError('unauthorized', description, {
    headers: { 'WWW-Authenticate': `Bearer realm="fhirkeep", error="invalid_token", error_description="${description}"` },
  });
}
