import 'reflect-metadata';
import { KeyObject, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type Extension,
  type JsonGeneralName,
} from '@peculiar/x509';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { CertificateAuthorityStore, StoredCertificateAuthority } from '../../storage/auth/certificate-authority-store.js';
import { openJwk, sealJwk } from '../tokens/key-encryption.js';
import { checkCsr } from './csr.js';
import { certificateThumbprint } from './thumbprint.js';

/** The kid in the sealed key's JWE header: ties the sealed key to the CA row. */
const CA_KID = 'certificate-authority';
const CA_KEY_NAME = "certificate authority's private key";
const DAY_MS = 24 * 3600 * 1000;
const CA_VALIDITY_MS = 3652 * DAY_MS;
const CLIENT_MAX_VALIDITY_MS = 365 * DAY_MS;
const SERVER_VALIDITY_MS = 90 * DAY_MS;
/** Backdating notBefore by this much keeps a fresh certificate usable on a peer whose clock is slightly behind. */
const CLOCK_SKEW_MS = 60 * 1000;
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
// @peculiar/x509 uses its default crypto provider: Node's global WebCrypto, the same object as `webcrypto`.
const { subtle } = webcrypto;

export interface IssuedCertificate {
  readonly pem: string;
  readonly der: Buffer;
  /** Uppercase hex, as Node's X509Certificate and getPeerCertificate() show serial numbers. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** RFC 8705 `x5t#S256` (see ./thumbprint.ts). */
  readonly thumbprint: string;
}

export interface ServerCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

export interface ClientCertificateRequest {
  readonly csrPem: string;
  /** The CN of the certificate key: the CSR must carry exactly this CN. */
  readonly commonName: string;
  /** Earlier than the default (a year) if given; never later. */
  readonly notAfter?: Date;
}

export interface CertificateAuthority {
  /** What mTLS listeners trust for client certificates, and clients trust for a listener's issued certificate. */
  readonly certificatePem: string;
  /** Signs a CSR (checked by ./csr.ts, 400 if unfit) as a clientAuth certificate of CN=commonName. */
  signClientCertificate(request: ClientCertificateRequest): Promise<IssuedCertificate>;
  /** A serverAuth certificate and its new key, for an mTLS listener that has no configured certificate. */
  issueServerCertificate(hostnames: readonly string[]): Promise<ServerCertificate>;
}

export interface CertificateAuthorityOptions {
  readonly store: CertificateAuthorityStore;
  /** Seals the CA's private key in the database (src/auth/tokens/key-encryption.ts). */
  readonly keyEncryptionKey: Buffer;
  /** Milliseconds since the epoch; injectable so tests can issue certificates that are already expired. */
  readonly now?: () => number;
}

/** Loads Fhirkeep's certificate authority, creating it on first use. */
export async function openCertificateAuthority({ store, keyEncryptionKey, now = Date.now }: CertificateAuthorityOptions): Promise<CertificateAuthority> {
  const stored = (await store.load()) ?? (await store.insertIfAbsent(await newAuthority(keyEncryptionKey, now())));
  const { certificate, signingKey } = await loadAuthority(stored, keyEncryptionKey);
  const caKeyId = certificate.getExtension(SubjectKeyIdentifierExtension)?.keyId;
  if (caKeyId === undefined) throw new Error('The certificate authority certificate has no subject key identifier');

  const issue = async (commonName: string, publicKey: Uint8Array<ArrayBuffer> | webcrypto.CryptoKey, validity: { notBefore: number; notAfter: number }, extensions: readonly Extension[]) =>
    X509CertificateGenerator.create(
      {
        serialNumber: newSerial(),
        subject: [{ CN: [commonName] }],
        issuer: certificate.subjectName,
        notBefore: wholeSeconds(validity.notBefore),
        notAfter: wholeSeconds(validity.notAfter),
        publicKey,
        signingKey,
        signingAlgorithm: SIGNING_ALGORITHM,
        extensions: [
          new BasicConstraintsExtension(false, undefined, true),
          ...extensions,
          await SubjectKeyIdentifierExtension.create(publicKey),
          new AuthorityKeyIdentifierExtension(caKeyId),
        ],
      },
    );

  return {
    certificatePem: stored.certificatePem,

    async signClientCertificate({ csrPem, commonName, notAfter }) {
      const csr = await checkCsr(csrPem, commonName);
      const issuedAt = now();
      if (notAfter !== undefined && !(notAfter.getTime() > issuedAt)) throw new FhirkeepError('bad-request', 'A certificate must not expire before it is issued: notAfter must be in the future');
      const notBefore = issuedAt - CLOCK_SKEW_MS;
      // The whole period, backdating included, stays within the limit.
      const latest = notBefore + CLIENT_MAX_VALIDITY_MS;
      // Key encipherment is how an RSA key takes part in a TLS 1.2 RSA key exchange; EC keys never do.
      const usages = csr.key.type === 'rsa' ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment : KeyUsageFlags.digitalSignature;
      const issued = await issue(commonName, new Uint8Array(csr.spki), { notBefore, notAfter: Math.min(latest, notAfter?.getTime() ?? latest) }, [
        new KeyUsagesExtension(usages, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth]),
      ]);
      const der = Buffer.from(issued.rawData);
      return {
        pem: issued.toString('pem'),
        der,
        serial: issued.serialNumber.toUpperCase(),
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        thumbprint: certificateThumbprint(der),
      };
    },

    async issueServerCertificate(hostnames) {
      const [first] = hostnames;
      if (first === undefined) throw new Error('a server certificate needs at least one host name or IP address');
      const keys = await subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
      const names = hostnames.map((h): JsonGeneralName => ({ type: isIP(h) === 0 ? 'dns' : 'ip', value: h }));
      // Clients match the host against the SANs; the CN only labels the certificate for people.
      const notBefore = now() - CLOCK_SKEW_MS;
      const issued = await issue(first.length <= 64 ? first : 'Fhirkeep', keys.publicKey, { notBefore, notAfter: notBefore + SERVER_VALIDITY_MS }, [
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension(names),
      ]);
      const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
      return { certPem: issued.toString('pem'), keyPem };
    },
  };
}

async function newAuthority(keyEncryptionKey: Buffer, now: number): Promise<{ certificatePem: string; privateKeyJwe: string }> {
  const keys = await subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: newSerial(),
      // Unique per installation: a verifier looks an issuer up by name, and two Fhirkeeps' CAs must not be confused.
      name: [{ CN: [`Fhirkeep client CA ${randomBytes(4).toString('hex')}`] }],
      notBefore: wholeSeconds(now - CLOCK_SKEW_MS),
      notAfter: wholeSeconds(now + CA_VALIDITY_MS),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        // Path length 0: it signs end-entity certificates only, never another CA.
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    },
  );
  const { kty, crv, x, y, d } = await subtle.exportKey('jwk', keys.privateKey);
  return { certificatePem: certificate.toString('pem'), privateKeyJwe: await sealJwk({ kty, crv, x, y, d }, CA_KID, keyEncryptionKey) };
}

async function loadAuthority(stored: StoredCertificateAuthority, keyEncryptionKey: Buffer): Promise<{ certificate: X509Certificate; signingKey: webcrypto.CryptoKey }> {
  const jwk = await openJwk(stored.privateKeyJwe, CA_KID, keyEncryptionKey, CA_KEY_NAME);
  // The JWE's kid cannot tell one CA from another: compare the key with the certificate's.
  const published = new NodeX509Certificate(stored.certificatePem).publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.x !== published.x || jwk.y !== published.y) {
    throw new Error(`The ${CA_KEY_NAME} does not belong to its certificate: the certificate_authority row has been altered`);
  }
  const { kty, crv, x, y, d } = jwk;
  const signingKey = await subtle.importKey('jwk', { kty, crv, x, y, d }, KEY_ALGORITHM, false, ['sign']);
  return { certificate: new X509Certificate(stored.certificatePem), signingKey };
}

/** A random positive serial (RFC 5280 §4.1.2.2) of exactly 16 octets: top bit clear, first octet nonzero. */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** Certificates hold times to the second: the dates returned are then the dates in the certificate. */
function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
