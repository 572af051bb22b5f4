import { BoundedCache } from '../../bounded-cache.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ServiceKeyStore } from '../../storage/auth/service-key-store.js';
import { matchesHash } from '../random-secret.js';
import type { RevocationView } from '../tokens/revocation-view.js';
import type { PeerCertificate } from '../mtls/peer-certificate.js';
import { parseStaticKey, type ServiceKey } from './service-key.js';

/** A service key that proved itself: the request acts as its client. */
export interface AuthenticatedKey {
  readonly keyId: string;
  readonly clientId: string;
  readonly type: 'static' | 'certificate';
}

/** A client certificate as the TLS layer saw it; its DER is not needed once the thumbprint is known. */
export type PresentedCertificate = Omit<PeerCertificate, 'der'>;

export interface KeyAuthenticator {
  /** `Authorization: Bearer fhk_…`; throws `unauthorized` (401). */
  staticKey(token: string): Promise<AuthenticatedKey>;
  /** A certificate presented on the mTLS listener; throws `unauthorized` (401). */
  certificate(certificate: PresentedCertificate): Promise<AuthenticatedKey>;
}

/** Key rows kept, so a known key costs no query: its row never changes but for revocation, which the view tells. */
const KEY_CACHE_SIZE = 10_000;

/**
 * Authenticates static keys and client certificates. Rows are cached; revocation is read from
 * the revocation view, which every node keeps current by NOTIFY, so a revoked key fails on the
 * next request everywhere while a valid one costs a hash and three set lookups.
 */
export function createKeyAuthenticator(deps: {
  readonly store: ServiceKeyStore;
  readonly revocations: RevocationView;
  /** Told of every key that authenticated a request (its "last used"). */
  readonly used: (keyId: string) => void;
  readonly now?: () => number;
}): KeyAuthenticator {
  const now = deps.now ?? Date.now;
  const rows = new BoundedCache<string, { readonly key: ServiceKey; readonly secretHash: Buffer | undefined }>(KEY_CACHE_SIZE);
  // Whole tokens whose secret matched once, as verified JWTs are kept: a known key is not hashed again.
  const verified = new BoundedCache<string, ServiceKey>(KEY_CACHE_SIZE);
  const certificates = new BoundedCache<string, { readonly key: ServiceKey; readonly notAfter: Date }>(KEY_CACHE_SIZE);

  const usable = (key: ServiceKey, what: string): void => {
    if (key.revokedAt !== undefined || deps.revocations.isKeyRevoked(key)) throw refused(`The ${what} has been revoked`);
    if (key.expiresAt !== undefined && key.expiresAt.getTime() <= now()) throw refused(`The ${what} has expired`);
  };

  return {
    async staticKey(token) {
      const known = verified.get(token);
      if (known !== undefined) {
        usable(known, 'API key');
        deps.used(known.id);
        return { keyId: known.id, clientId: known.clientId, type: 'static' };
      }
      const parsed = parseStaticKey(token);
      if (parsed === undefined) throw refused('The API key is malformed');
      let row = rows.get(parsed.id);
      if (row === undefined) {
        const found = await deps.store.find(parsed.id);
        // Unknown ids are not cached: a stream of made-up ids must not evict real keys.
        if (found === undefined) throw refused('The API key is not valid');
        row = rows.set(parsed.id, found);
      }
      if (row.key.type !== 'static' || row.secretHash === undefined || !matchesHash(parsed.secret, row.secretHash)) throw refused('The API key is not valid');
      usable(row.key, 'API key');
      verified.set(token, row.key);
      deps.used(row.key.id);
      return { keyId: row.key.id, clientId: row.key.clientId, type: 'static' };
    },

    async certificate(presented) {
      if (!presented.authorized) throw refused(`The client certificate is not accepted: ${presented.problem ?? 'it was not issued by Fhirkeep'}`);
      let found = certificates.get(presented.thumbprint);
      if (found === undefined) {
        const stored = await deps.store.certificateKey(Buffer.from(presented.thumbprint, 'base64url'));
        // A certificate our CA never signed for a key (e.g. the CA's own server certificates).
        if (stored === undefined) throw refused('The client certificate does not belong to an API key');
        found = certificates.set(presented.thumbprint, stored);
      }
      // TLS checked validity against the system clock; this checks it against ours too (tests move it).
      if (found.notAfter.getTime() <= now()) throw refused('The client certificate has expired');
      usable(found.key, 'client certificate\'s key');
      deps.used(found.key.id);
      return { keyId: found.key.id, clientId: found.key.clientId, type: 'certificate' };
    },
  };
}

function refused(description: string): FhirkeepError {
  // A quoted-string may not hold a bare quote (RFC 9110 §5.6.4).
  return new FhirkeepError('unauthorized', description, {
    headers: { 'WWW-Authenticate': `Bearer realm="fhirkeep", error="invalid_token", error_description="${description.replace(/["\\]/g, "'")}"` },
  });
}
