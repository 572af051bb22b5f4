import type { Sql } from 'postgres';

export interface StoredCertificateAuthority {
  readonly certificatePem: string;
  /** The private JWK, sealed (compact JWE) with the key-encryption key. */
  readonly privateKeyJwe: string;
  readonly createdAt: Date;
}

export interface CertificateAuthorityStore {
  load(): Promise<StoredCertificateAuthority | undefined>;
  /**
   * Stores `ca` unless a CA is stored already, and returns the one stored afterwards: of two
   * nodes starting at once, both end up with the winner's CA.
   */
  insertIfAbsent(ca: { readonly certificatePem: string; readonly privateKeyJwe: string }): Promise<StoredCertificateAuthority>;
}

interface AuthorityRow {
  certificate_pem: string;
  private_key_jwe: string;
  created_at: Date;
}

const authorityOf = (r: AuthorityRow): StoredCertificateAuthority => ({
  certificatePem: r.certificate_pem,
  privateKeyJwe: r.private_key_jwe,
  createdAt: r.created_at,
});

export function createCertificateAuthorityStore(sql: Sql): CertificateAuthorityStore {
  const load = async () => {
    const [row] = await sql<AuthorityRow[]>`select certificate_pem, private_key_jwe, created_at from certificate_authority where id = 1`;
    return row === undefined ? undefined : authorityOf(row);
  };
  return {
    load,
    async insertIfAbsent(ca) {
      await sql`
        insert into certificate_authority (id, certificate_pem, private_key_jwe)
        values (1, ${ca.certificatePem}, ${ca.privateKeyJwe})
        on conflict (id) do nothing`;
      // A separate statement: one statement's snapshot predates the row a concurrent insert
      // committed (the conflict it waited for), so a select inside the insert would see nothing.
      const stored = await load();
      if (stored === undefined) throw new Error('the certificate authority row vanished right after it was stored');
      return stored;
    },
  };
}
