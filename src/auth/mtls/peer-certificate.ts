import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { certificateThumbprint } from './thumbprint.js';

/** The client certificate a connection presented, and what the TLS layer made of it. */
export interface PeerCertificate {
  readonly der: Buffer;
  /** RFC 8705 `x5t#S256` (see ./thumbprint.ts). */
  readonly thumbprint: string;
  /** It chains to a CA the listener trusts (Fhirkeep's) and is within its validity period. */
  readonly authorized: boolean;
  /** Why it is not authorized, in words a 401 can carry. */
  readonly problem: string | undefined;
}

/**
 * OpenSSL verification codes (X509_V_ERR_*, as Node reports them) in words. The listener asks for
 * a certificate without rejecting a bad one (rejectUnauthorized: false), so that the request is
 * answered with a FHIR 401 that says what is wrong instead of a bare handshake failure.
 */
const PROBLEMS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the certificate was not issued by Fhirkeep's CA",
  UNABLE_TO_GET_ISSUER_CERT: "the certificate was not issued by Fhirkeep's CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the certificate was not issued by Fhirkeep's CA",
  SELF_SIGNED_CERT_IN_CHAIN: "the certificate was not issued by Fhirkeep's CA",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the certificate is self-signed, not issued by Fhirkeep's CA",
  CERT_SIGNATURE_FAILURE: "the certificate's signature does not verify with Fhirkeep's CA (forged or damaged)",
  CERT_UNTRUSTED: "the certificate was not issued by Fhirkeep's CA",
  CERT_REJECTED: 'the certificate is not trusted for client authentication',
  INVALID_PURPOSE: 'the certificate is not for client authentication (extended key usage)',
  INVALID_CA: "the certificate was not issued by Fhirkeep's CA",
  CERT_REVOKED: 'the certificate has been revoked',
};

/**
 * Per connection: keep-alive connections make many requests. Only a TLS 1.2 renegotiation could
 * change a connection's certificate, so the mTLS listener must not allow it (TLS 1.3 has none).
 */
const cache = new WeakMap<Socket, PeerCertificate | null>();

/** The client certificate presented on `socket`, or undefined (plain socket, or TLS without one). */
export function peerCertificate(socket: Socket): PeerCertificate | undefined {
  let peer = cache.get(socket);
  if (peer === undefined) {
    peer = read(socket);
    cache.set(socket, peer);
  }
  return peer ?? undefined;
}

function read(socket: Socket): PeerCertificate | null {
  if (!(socket instanceof TLSSocket)) return null;
  // {} (no `raw`) when the client sent no certificate.
  const der: unknown = socket.getPeerCertificate(false).raw;
  if (!Buffer.isBuffer(der) || der.length === 0) return null;
  const authorized = socket.authorized;
  return { der, thumbprint: certificateThumbprint(der), authorized, problem: authorized ? undefined : problemOf(socket.authorizationError) };
}

function problemOf(error: unknown): string {
  // Node sets a code string (e.g. 'CERT_HAS_EXPIRED'), though its typings say Error.
  const code = typeof error === 'string' ? error : error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : undefined;
  if (code === undefined) return 'the certificate could not be verified';
  return PROBLEMS[code] ?? `the certificate could not be verified (${code})`;
}
