import { createHash } from 'node:crypto';

/**
 * A certificate's RFC 8705 §3.1 `x5t#S256`: the base64url SHA-256 of its DER. The same value
 * names an issued certificate (key_certificates) and the certificate a connection presents.
 */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}
