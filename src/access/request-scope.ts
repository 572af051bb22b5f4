import type { RegisteredClient } from '../auth/clients/client.js';
import type { KeyAuthenticator, PresentedCertificate } from '../auth/keys/key-authentication.js';
import { looksLikeStaticKey } from '../auth/keys/service-key.js';
import type { AccessTokens } from '../auth/tokens/access-token.js';
import { BoundedCache } from '../bounded-cache.js';
import { FhirkeepError, isFhirkeepError } from '../errors/fhirkeep-error.js';
import { parseAuthorization } from '../auth/tokens/authorization-header.js';
import { credentialsRequired } from '../auth/tokens/bearer.js';
import { devOpenScope, type AccessScope } from './scope.js';
import type { CredentialSubject } from './token-scope.js';

export interface RequestCredentials {
  readonly authorization: string | undefined;
  /** The client certificate of an mTLS connection, if one was presented. */
  readonly certificate?: PresentedCertificate | undefined;
  /** Every `researchstudy` query parameter sent (docs/research.md): a research partner sends exactly one. */
  readonly researchStudies?: readonly string[] | undefined;
  /** The HIE dialect's headers (docs/hie.md): a user's access token and the client that signed it in. */
  readonly xAuthToken?: string | undefined;
  readonly clientId?: string | undefined;
}

export interface ScopeResolverOptions {
  /** FHIRKEEP_DEV_NO_AUTH: a request without credentials may do anything (development only). */
  readonly devNoAuth: boolean;
  readonly accessTokens: AccessTokens;
  readonly keys: KeyAuthenticator;
  /** The credential's client as registered now (a cache kept current on every node by the registry). */
  readonly client: (id: string) => Promise<RegisteredClient | undefined>;
  /** Calls back with a client's id when it changes, on any node (undefined: any may have). */
  readonly onClientChange: (listener: (id: string | undefined) => void) => void;
  /** What the rest of the scope depends on besides the credential and its client (the taxonomy's epoch). */
  readonly epoch: () => number;
  /**
   * The organization a data broker may act for, from the `grp` it sent (an id or
   * `system|value`); throws `unauthorized` for an unknown one or one without an active
   * relationship with the broker. Asked on every request: a withdrawn relationship holds at once.
   */
  readonly actingFor: (brokerClientId: string, grp: string) => Promise<string>;
  /**
   * The id of the ResearchStudy a research partner's `researchstudy` names (an id or
   * `system|value`); throws `forbidden`, in the same words, for an unknown study and for one the
   * partner is not authorized for, so the answer tells nothing about which studies exist.
   * Asked on every request: a revoked authorization holds at once.
   */
  readonly studyFor: (researchClientId: string, researchstudy: string) => Promise<string>;
  /**
   * The scope of an HIE user's request (`X-Auth-Token` + `client_id`, without Authorization);
   * throws `unauthorized` for anything but a live session of that client and an enabled,
   * activated account. Absent: the dialect is off and such requests are refused.
   */
  readonly hie?: (clientIdHeader: string | undefined, accessToken: string) => Promise<AccessScope>;
  /** Compiles a verified credential into the scope its requests run in. */
  readonly scopeOf: (subject: CredentialSubject, client: RegisteredClient | undefined, organizationId: string | undefined, studyId?: string) => Promise<AccessScope>;
}

/** Each credential's scope, so a request with a known credential does no scope work at all. */
const COMPILED_CACHE_SIZE = 10_000;

interface Compiled {
  readonly scope: AccessScope;
  /** The client's change count and the taxonomy epoch the scope was compiled at. */
  readonly changes: number;
  readonly epoch: number;
}

/**
 * Builds the AccessScope of an incoming request from its credential (docs/service-keys.md):
 *   - an access token (a JWT): checked for signature, audience, expiry and revocation, and, when
 *     bound to a certificate (RFC 8705 `cnf`), for that certificate on this connection and its
 *     key still usable;
 *   - a client certificate on the mTLS listener: its key's client; a non-JWT token beside it
 *     (conventionally `client-certificate`) is ignored;
 *   - a static API key (`fhk_…`): its client.
 * `; grp=<organization>` after the token makes a data broker act for that organization; a
 * research partner names the study of each request (`researchstudy=`, exactly once).
 * Without Authorization and a certificate, an `X-Auth-Token` is an HIE user's (docs/hie.md).
 * No credential, or a bad one, is a 401 (RFC 6750 §3.1). The development switch lets requests
 * without any credentials through. A compiled scope is reused until its client changes (a
 * filter, write mode or reach saved on any node: the registry tells) or the taxonomy does.
 */
export function createScopeResolver(o: ScopeResolverOptions): (credentials: RequestCredentials) => Promise<AccessScope> {
  const compiled = new BoundedCache<string, Compiled>(COMPILED_CACHE_SIZE);
  const changes = new Map<string, number>();
  let everyChange = 0;
  o.onClientChange((id) => {
    if (id === undefined) everyChange++;
    else changes.set(id, (changes.get(id) ?? 0) + 1);
  });
  const changeCount = (clientId: string) => everyChange + (changes.get(clientId) ?? 0);

  const subjectOf = async (token: string | undefined, certificate: PresentedCertificate | undefined): Promise<CredentialSubject> => {
    if (token !== undefined && isJwt(token)) {
      const claims = await o.accessTokens.verify(token);
      const bound = claims.cnf?.['x5t#S256'];
      // RFC 8705 §3: a bound token is worth nothing without its certificate.
      if (bound !== undefined) {
        if (!(certificate?.authorized === true && certificate.thumbprint === bound)) {
          throw invalidToken('The access token is bound to a client certificate: present it over the mTLS listener');
        }
        // The token stands on the certificate's key: revoked (or the certificate past its end), it falls with it.
        await o.keys.certificate(certificate);
      }
      return { kind: 'token', claims };
    }
    if (certificate !== undefined) return { kind: 'key', ...(await o.keys.certificate(certificate)) };
    if (token !== undefined && looksLikeStaticKey(token)) return { kind: 'key', ...(await o.keys.staticKey(token)) };
    // Anything else is no credential we issued; verify says so in the RFC 6750 words.
    return { kind: 'token', claims: await o.accessTokens.verify(token ?? '') };
  };

  return async ({ authorization, certificate, researchStudies = [], xAuthToken, clientId: clientIdHeader }) => {
    if (authorization === undefined && certificate === undefined && xAuthToken !== undefined) {
      if (o.hie === undefined) throw invalidToken('X-Auth-Token is not accepted here');
      return hieUserScope(o.hie, clientIdHeader, xAuthToken);
    }
    const header = parseAuthorization(authorization);
    if (header === undefined && certificate === undefined) {
      if (o.devNoAuth && authorization === undefined) return devOpenScope();
      throw credentialsRequired('Authentication is required: send an access token or API key as Authorization: Bearer');
    }
    const subject = await subjectOf(header?.token, certificate);
    const clientId = subject.kind === 'token' ? subject.claims.client_id : subject.clientId;
    const organizationId = header?.grp === undefined ? undefined : await brokerActingFor(clientId, header.grp);
    const credentialKey = `${subject.kind === 'token' ? subject.claims.jti : `key:${subject.keyId}`}${organizationId === undefined ? '' : `|${organizationId}`}`;
    const count = changeCount(clientId);
    const epoch = o.epoch();
    const fresh = (entry: Compiled | undefined): entry is Compiled => entry !== undefined && entry.changes === count && entry.epoch === epoch;
    // A research partner's scope is never compiled without a study, so a current scope under the
    // bare credential is another client's: no study to ask about, and the known request stays two map lookups.
    const studyId = researchStudies.length === 0 && fresh(compiled.get(credentialKey)) ? undefined : await researchStudyOf(clientId, researchStudies);
    const cacheKey = studyId === undefined ? credentialKey : `${credentialKey}|study:${studyId}`;
    const known = compiled.get(cacheKey);
    if (fresh(known)) return known.scope;
    // Counted before the lookup: a change arriving meanwhile leaves this entry stale, so it is redone.
    const scope = await o.scopeOf(subject, await o.client(clientId), organizationId, studyId);
    compiled.set(cacheKey, { scope, changes: count, epoch });
    return scope;
  };

  async function brokerActingFor(clientId: string, grp: string): Promise<string> {
    const client = await o.client(clientId);
    if (client?.type !== 'broker') throw invalidToken('Only a data broker may act for an organization (grp)');
    return o.actingFor(clientId, grp);
  }

  /** The study a research partner's request is about; none for any other client, which may not name one. */
  async function researchStudyOf(clientId: string, sent: readonly string[]): Promise<string | undefined> {
    const client = await o.client(clientId);
    // An unknown or revoked client is refused (401) when its scope is compiled, before any study question.
    if (client === undefined || client.revoked) return undefined;
    if (client.type !== 'research') {
      if (sent.length > 0) throw new FhirkeepError('bad-request', 'Only a research partner names a research study (researchstudy)');
      return undefined;
    }
    const [value, ...more] = sent;
    if (value === undefined) throw new FhirkeepError('bad-request', 'A research partner names the study of every request: researchstudy=<ResearchStudy id or system|identifier>');
    if (more.length > 0) throw new FhirkeepError('bad-request', 'researchstudy is given more than once');
    if (value === '') throw new FhirkeepError('bad-request', 'researchstudy is empty');
    return o.studyFor(clientId, value);
  }
}

/** RFC 9110 §11.6.1: a 401 names a scheme the resource accepts; the HIE token has none of its own. */
async function hieUserScope(hie: NonNullable<ScopeResolverOptions['hie']>, clientId: string | undefined, token: string): Promise<AccessScope> {
  try {
    return await hie(clientId, token);
  } catch (e) {
    if (!isFhirkeepError(e) || e.code !== 'unauthorized') throw e;
    throw new FhirkeepError('unauthorized', e.message, { headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep"' }, cause: e });
  }
}

/** A JWS compact serialization has exactly two dots; API keys and the certificate placeholder have none. */
function isJwt(token: string): boolean {
  const first = token.indexOf('.');
  return first > 0 && token.indexOf('.', first + 1) > first && token.split('.').length === 3;
}

function invalidToken(description: string): FhirkeepError {
  return new FhirkeepError('unauthorized', description, {
    headers: { 'WWW-Authenticate': `Bearer realm="fhirkeep", error="invalid_token", error_description="${description}"` },
  });
}
