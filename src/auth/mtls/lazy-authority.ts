import type { Sql } from 'postgres';
import { createCertificateAuthorityStore } from '../../storage/auth/certificate-authority-store.js';
import type { CertificateAuthority } from './certificate-authority.js';

/**
 * Fhirkeep's CA, opened on first use, with its X.509 library (~26 MB) imported only then: most
 * processes (a node without an mTLS listener, most CLI commands) never sign a CSR. A failed open
 * is tried again on the next call rather than remembered.
 */
export function lazyCertificateAuthority(sql: Sql, keyEncryptionKey: Buffer, now?: () => number): () => Promise<CertificateAuthority> {
  let opening: Promise<CertificateAuthority> | undefined;
  return () => {
    opening ??= import('./certificate-authority.js').then(({ openCertificateAuthority }) =>
      openCertificateAuthority({ store: createCertificateAuthorityStore(sql), keyEncryptionKey, ...(now === undefined ? {} : { now }) }),
    );
    opening.catch(() => {
      opening = undefined;
    });
    return opening;
  };
}
