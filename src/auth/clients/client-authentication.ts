import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type CryptoKey, type JWK, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { OAuthParams } from '../oauth/oauth-form.js';
import type { AssertionJtiStore, StoredClient } from '../../storage/auth/client-store.js';
import { assertionKeyProblem, isAssertionAlgorithm, keyFitsAlgorithm, type AssertionAlgorithm } from './assertion-keys.js';
import type { AuthenticatedClient, ClientAuthMethod } from './client.js';
import { secretMatches } from './client-secrets.js';
import type { JwksCache } from './jwks-cache.js';
import { LIFETIMES } from '../tokens/lifetimes.js';

/** What a token, introspection or revocation request offers to prove which client sends it. */
export interface ClientAuthenticationInput {
  /** The Authorization header, if any (only the Basic scheme is read). */
  readonly authorization: string | undefined;
  /** The application/x-www-form-urlencoded body. */
  readonly form: OAuthParams;
  /**
   * What a client assertion's aud may name: the token endpoint URL (SMART Backend Services) and
   * the issuer identifier (RFC 7523 §3 ¶2.C; what OpenID clients such as openid-client send).
   */
  readonly audiences: readonly string[];
  /**
   * The client certificate of an mTLS connection, already matched to a service key (or why it
   * could not be): what tls_client_auth authenticates with.
   */
  readonly certificate?: ConnectionCertificate | undefined;
}

export type ConnectionCertificate = { readonly clientId: string; readonly thumbprint: string } | { readonly problem: string };

/** Resolves to the client and how it authenticated; throws `invalid-client` (401) or `invalid-request` (400). */
export type AuthenticateClient = (input: ClientAuthenticationInput) => Promise<AuthenticatedClient>;

export interface ClientAuthenticationDeps {
  /** One client read (ClientRegistry.lookup). */
  readonly lookup: (clientId: string) => Promise<StoredClient | undefined>;
  readonly jtis: AssertionJtiStore;
  readonly jwksCache: JwksCache;
  readonly now?: () => number;
  /** A failed background purge of expired jtis (logged by the caller; never fails a request). */
  readonly onBackgroundError?: (error: unknown) => void;
  /**
   * The per-client rate limit (docs/limits.md), counted once the request names its client and
   * before the client is loaded or its secret checked; throws `too-many-requests` past it.
   */
  readonly admitClient?: ((clientId: string) => void | Promise<void>) | undefined;
}

/** RFC 7523 §2.2: the one client assertion type. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Bounds what one client can make us store per assertion. */
const MAX_JTI_LENGTH = 256;
/** How often, at most, expired jtis are deleted (in the background of a request). */
const PURGE_INTERVAL_MS = 60_000;
/** RFC 6749 §5.2: a 401 to a client that used Basic carries the matching challenge. */
const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="fhirkeep"' };

interface Assertion {
  readonly token: string;
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload;
}

/** One authentication attempt, filled in as the steps run. */
interface Attempt {
  readonly input: ClientAuthenticationInput;
  /** Seconds since the epoch (JWT NumericDate). */
  readonly now: number;
  /** An Authorization: Basic header was sent (well-formed or not). */
  triedBasic: boolean;
  basic: { readonly clientId: string; readonly secret: string } | undefined;
  method: ClientAuthMethod | undefined;
  clientId: string | undefined;
  assertion: Assertion | undefined;
  stored: StoredClient | undefined;
  alg: AssertionAlgorithm | undefined;
  key: JWK | undefined;
}

interface Step {
  readonly name: string;
  /** Methods it applies to; absent: all. */
  readonly only?: readonly ClientAuthMethod[];
  run(attempt: Attempt): void | Promise<void>;
}

const SECRET_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const JWT: readonly ClientAuthMethod[] = ['private_key_jwt'];

export function createClientAuthenticator(deps: ClientAuthenticationDeps): AuthenticateClient {
  const now = deps.now ?? Date.now;
  // Imported keys are reused while their JWK objects live (a cached client row or JWK Set).
  const importedKeys = new WeakMap<JWK, Promise<CryptoKey | Uint8Array>>();
  let lastPurge = 0;

  const steps: readonly Step[] = [
    { name: 'read Basic credentials', run: readBasic },
    { name: 'one method only', run: oneMethodOnly },
    { name: 'choose the method', run: chooseMethod },
    // Before the lookup and the secret: guessing one client's secret from many addresses is limited too.
    { name: 'client rate limit', run: (a) => deps.admitClient?.(need(a.clientId)) },
    {
      name: 'load the client',
      async run(a) {
        const stored = await deps.lookup(need(a.clientId));
        // RFC 6749 §5.2 invalid_client: "unknown client"; a revoked client is no longer known.
        if (stored === undefined || stored.client.revoked) throw unauthenticated('Unknown or revoked client');
        a.stored = stored;
      },
    },
    { name: 'method fits the client', run: methodFitsClient },
    { name: 'secret matches', only: SECRET_METHODS, run: secretMatchesStep },
    { name: 'assertion algorithm', only: JWT, run: assertionAlgorithm },
    { name: 'assertion claims', only: JWT, run: assertionClaims },
    { name: 'assertion jku', only: JWT, run: assertionJku },
    {
      name: 'assertion key',
      only: JWT,
      async run(a) {
        const client = need(a.stored).client;
        const kid = need(a.assertion).header.kid;
        const keys = client.jwks?.keys ?? (await deps.jwksCache.keys(need(client.jwksUri), kid));
        a.key = selectKey(keys, kid, need(a.alg));
      },
    },
    {
      name: 'assertion signature',
      only: JWT,
      async run(a) {
        const jwk = need(a.key);
        const alg = need(a.alg);
        let key = importedKeys.get(jwk);
        if (key === undefined) {
          key = importJWK(jwk, alg);
          importedKeys.set(jwk, key);
        }
        try {
          // RFC 7523 §3 ¶9: "The JWT MUST be digitally signed"; only the alg already checked is accepted.
          await compactVerify(need(a.assertion).token, await key, { algorithms: [alg] });
        } catch (e) {
          throw unauthenticated(`The client assertion's signature does not verify (${(e as Error).message})`);
        }
      },
    },
    {
      name: 'assertion not replayed',
      only: JWT,
      async run(a) {
        const { jti, exp } = need(a.assertion).claims as { jti: string; exp: number };
        // SMART Backend Services: a jti is never accepted twice; kept until the assertion could no longer pass the exp check.
        if (!(await deps.jtis.recordIfNew(need(a.clientId), jti, new Date((exp + LIFETIMES.clockSkew) * 1000)))) {
          throw unauthenticated('The client assertion was used already (jti replayed)');
        }
        if (now() - lastPurge >= PURGE_INTERVAL_MS) {
          lastPurge = now();
          deps.jtis.purgeExpired().catch((e: unknown) => deps.onBackgroundError?.(e));
        }
      },
    },
  ];

  return async (input) => {
    const attempt: Attempt = {
      input,
      now: Math.floor(now() / 1000),
      triedBasic: false,
      basic: undefined,
      method: undefined,
      clientId: undefined,
      assertion: undefined,
      stored: undefined,
      alg: undefined,
      key: undefined,
    };
    try {
      for (const step of steps) {
        if (step.only === undefined || (attempt.method !== undefined && step.only.includes(attempt.method))) await step.run(attempt);
      }
    } catch (e) {
      // RFC 6749 §5.2: "If the client attempted to authenticate via the Authorization header", answer with its challenge.
      if (e instanceof FhirkeepError && e.code === 'invalid-client' && attempt.triedBasic) {
        throw new FhirkeepError('invalid-client', e.message, { headers: { ...e.headers, ...BASIC_CHALLENGE }, cause: e.cause });
      }
      throw e;
    }
    const certificate = attempt.method === 'tls_client_auth' ? attempt.input.certificate : undefined;
    return {
      client: need(attempt.stored).client,
      method: need(attempt.method),
      ...(certificate !== undefined && 'thumbprint' in certificate ? { certificateThumbprint: certificate.thumbprint } : {}),
    };
  };
}

/** RFC 6749 §2.3.1: HTTP Basic (RFC 7617), with client_id and secret form-urlencoded (Appendix B) before base64. */
function readBasic(a: Attempt): void {
  const header = a.input.authorization;
  // RFC 7235 §2.1: the scheme is case-insensitive. Other schemes are not client authentication.
  if (header === undefined || !/^basic(\s|$)/i.test(header)) return;
  a.triedBasic = true;
  const encoded = header.slice('basic'.length).trim();
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthenticated('Malformed Basic credentials: expected base64 of client_id:client_secret');
  try {
    a.basic = { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw unauthenticated('Malformed Basic credentials: client_id or client_secret is not form-urlencoded');
  }
}

function oneMethodOnly(a: Attempt): void {
  // No parameter appears twice: OAuthParams refused that already (RFC 6749 §3.2).
  const form = a.input.form;
  const used = [a.basic !== undefined, form.has('client_secret'), form.has('client_assertion') || form.has('client_assertion_type')].filter(Boolean).length;
  // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
  if (used > 1) throw new FhirkeepError('invalid-request', 'Client credentials in more than one place: use exactly one authentication method');
}

function chooseMethod(a: Attempt): void {
  const form = a.input.form;
  const formClientId = form.get('client_id');
  if (a.basic !== undefined) {
    if (formClientId !== undefined && formClientId !== a.basic.clientId) throw new FhirkeepError('invalid-request', 'client_id in the body differs from the Basic credentials');
    a.method = 'client_secret_basic';
    a.clientId = a.basic.clientId;
  } else if (form.has('client_secret')) {
    // RFC 6749 §2.3.1: client_secret_post sends client_id and client_secret in the body.
    if (formClientId === undefined) throw new FhirkeepError('invalid-request', 'client_secret without client_id');
    a.method = 'client_secret_post';
    a.clientId = formClientId;
  } else if (form.has('client_assertion') || form.has('client_assertion_type')) {
    const token = form.get('client_assertion');
    const type = form.get('client_assertion_type');
    // RFC 7521 §4.2: both parameters are REQUIRED.
    if (token === undefined || type === undefined) throw new FhirkeepError('invalid-request', 'client_assertion and client_assertion_type go together');
    // RFC 7523 §2.2: the value MUST be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.
    if (type !== JWT_BEARER_ASSERTION) throw unauthenticated(`Unsupported client_assertion_type: use ${JWT_BEARER_ASSERTION}`);
    let assertion: Assertion;
    try {
      assertion = { token, header: decodeProtectedHeader(token), claims: decodeJwt(token) };
    } catch (e) {
      throw unauthenticated(`The client assertion is not a signed JWT (${(e as Error).message})`);
    }
    // RFC 7523 §3 ¶2.B: for client authentication, sub MUST be the client_id.
    const sub = assertion.claims.sub;
    if (typeof sub !== 'string' || sub === '') throw unauthenticated('The client assertion has no sub (it must be the client_id)');
    // RFC 7521 §4.2: client_id, when sent, must name the same client as the assertion.
    if (formClientId !== undefined && formClientId !== sub) throw new FhirkeepError('invalid-request', "client_id differs from the client assertion's sub");
    a.method = 'private_key_jwt';
    a.clientId = sub;
    a.assertion = assertion;
  } else if (a.input.certificate !== undefined && formClientId !== undefined) {
    // RFC 8705 §2: tls_client_auth sends client_id, and the certificate must be that client's.
    const certificate = a.input.certificate;
    if ('problem' in certificate) throw unauthenticated(certificate.problem);
    if (certificate.clientId !== formClientId) throw unauthenticated('The client certificate belongs to another client');
    a.method = 'tls_client_auth';
    a.clientId = formClientId;
  } else if (formClientId !== undefined) {
    a.method = 'none'; // a public client identifies itself only (RFC 6749 §3.2.1)
    a.clientId = formClientId;
  } else {
    // RFC 6749 §5.2 invalid_client: "no client authentication included".
    throw unauthenticated('No client authentication: send client_id (public clients) or client credentials');
  }
}

function methodFitsClient(a: Attempt): void {
  const client = need(a.stored).client;
  const method = need(a.method);
  if (method === 'none') {
    // RFC 6749 §3.2.1: a confidential client MUST authenticate at the token endpoint.
    if (!client.isPublic) throw unauthenticated('This client is confidential and must authenticate');
  } else if (method === 'tls_client_auth') {
    // The certificate was matched to one of this client's keys already; the key may be revoked since.
    return;
  } else if (method === 'private_key_jwt') {
    if (client.jwks === undefined && client.jwksUri === undefined) throw unauthenticated('This client has no registered keys for private_key_jwt');
  } else if (!client.hasSecret) {
    throw unauthenticated(client.isPublic ? 'A public client has no secret' : 'This client authenticates with private_key_jwt, not a secret');
  }
}

function secretMatchesStep(a: Attempt): void {
  const presented = a.basic?.secret ?? a.input.form.get('client_secret') ?? '';
  if (!secretMatches(presented, need(a.stored).secretHash)) throw unauthenticated('Wrong client secret');
}

function assertionAlgorithm(a: Attempt): void {
  const alg = need(a.assertion).header.alg;
  // SMART Backend Services: RS384 or ES384 only, which also refuses "none", HS* (a shared secret) and RS256.
  if (!isAssertionAlgorithm(alg)) throw unauthenticated(`Client assertion algorithm ${JSON.stringify(alg)} is not allowed: use RS384 or ES384`);
  a.alg = alg;
}

function assertionClaims(a: Attempt): void {
  const { claims } = need(a.assertion);
  const clientId = need(a.clientId);
  // RFC 7523 §3 ¶2.A: iss MUST be the client_id (SMART: iss = sub = client_id).
  if (claims.iss !== clientId) throw unauthenticated('The client assertion\'s iss must equal its sub (the client_id)');
  // RFC 7523 §3 ¶2.C: aud MUST identify the authorization server; SMART: the token endpoint URL. RFC 7519 §4.1.3: string or array.
  // Nothing checked the claim's type yet: a number or an object is no audience at all.
  const named: unknown[] = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!named.some((aud) => typeof aud === 'string' && a.input.audiences.includes(aud))) {
    throw unauthenticated(`The client assertion's aud must be the token endpoint ${a.input.audiences[0] ?? ''}`);
  }
  // RFC 7523 §3 ¶2.D: exp is REQUIRED and the JWT MUST be rejected once expired.
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw unauthenticated('The client assertion has no exp');
  if (claims.exp < a.now - LIFETIMES.clockSkew) throw unauthenticated('The client assertion has expired');
  // SMART Backend Services: exp "no more than five minutes in the future".
  if (claims.exp > a.now + LIFETIMES.maxAssertionAhead + LIFETIMES.clockSkew) throw unauthenticated('The client assertion\'s exp is more than five minutes ahead');
  // RFC 7523 §3 ¶2.E: nbf, when present, must have passed.
  if (claims.nbf !== undefined && !(typeof claims.nbf === 'number' && claims.nbf <= a.now + LIFETIMES.clockSkew)) throw unauthenticated('The client assertion is not valid yet (nbf)');
  // SMART Backend Services: jti is required (RFC 7523 §3 ¶2.G makes it optional).
  if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > MAX_JTI_LENGTH) {
    throw unauthenticated(`The client assertion needs a jti (a unique string of at most ${MAX_JTI_LENGTH} characters)`);
  }
}

function assertionJku(a: Attempt): void {
  const jku = need(a.assertion).header.jku;
  // SMART Backend Services: a jku header must be the JWK Set URL the client registered; any other is a forgery.
  if (jku !== undefined && jku !== need(a.stored).client.jwksUri) throw unauthenticated('The client assertion\'s jku is not the registered JWK Set URL');
}

/** The key an assertion names (kid), or the only key of the set; never a guess among several. */
function selectKey(keys: readonly JWK[], kid: string | undefined, alg: AssertionAlgorithm): JWK {
  // RFC 7515 §4.1.4: kid is a hint to the key; with several keys, without one we would have to guess.
  if (kid === undefined && keys.length > 1) throw unauthenticated('The client has several keys: the client assertion must name one (kid)');
  const named = kid === undefined ? keys : keys.filter((k) => k.kid === kid);
  if (named.length === 0) throw unauthenticated(`No key ${JSON.stringify(kid)} in the client's JWK Set`);
  const usable = named.filter((k) => assertionKeyProblem(k) === undefined && keyFitsAlgorithm(k, alg));
  const [key, ...more] = usable;
  if (key === undefined) throw unauthenticated(`The client's key ${kid === undefined ? '' : `${JSON.stringify(kid)} `}cannot verify ${alg} signatures`);
  // A published set may repeat a kid; picking one of them would again be a guess.
  if (more.length > 0) throw unauthenticated(`The client's JWK Set has several keys ${JSON.stringify(kid)}`);
  return key;
}

/** application/x-www-form-urlencoded decoding of one value ('+' is a space); throws on a bad %-escape. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function unauthenticated(message: string): FhirkeepError {
  return new FhirkeepError('invalid-client', message);
}

/** A value an earlier step has set (steps run in order; a missing one is a bug, not a client error). */
function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('client authentication steps ran out of order');
  return value;
}
