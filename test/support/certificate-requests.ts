import 'reflect-metadata';
import { createPublicKey, KeyObject, sign, webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import type { CertificateAuthorityStore, StoredCertificateAuthority } from '../../src/storage/auth/certificate-authority-store.js';

const crypto = webcrypto as Crypto;

export type WebKeyKind = 'rsa-2048' | 'rsa-1024' | 'ec-p256' | 'ec-p384' | 'ed25519';

const ALGORITHMS: Record<WebKeyKind, { generate: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm; sign: Algorithm | EcdsaParams }> = {
  'rsa-2048': { generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'rsa-1024': { generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'ec-p256': { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams },
  'ec-p384': { generate: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams },
  'ed25519': { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
};

/** A CSR the way a client would make one: a WebCrypto key pair and @peculiar/x509. */
export async function webCsr(kind: WebKeyKind, subject: string): Promise<{ csrPem: string; keyPem: string }> {
  const { generate, sign: signing } = ALGORITHMS[kind];
  const keys = (await crypto.subtle.generateKey(generate, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: signing }, crypto);
  return { csrPem: csr.toString('pem'), keyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * A CSR assembled by hand (DER) and signed with a node:crypto key: for what WebCrypto cannot make
 * (other curves) and subjects a well-behaved generator would not write (no CN, two CNs).
 */
export function derCsr(privateKey: KeyObject, commonNames: readonly string[]): string {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const rdns = commonNames.map((cn) => tlv(0x31, tlv(0x30, oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
  const info = tlv(0x30, tlv(0x02, Buffer.from([0])), tlv(0x30, ...rdns), spki, tlv(0xa0));
  const rsa = privateKey.asymmetricKeyType === 'rsa';
  const algorithm = rsa ? tlv(0x30, oid('1.2.840.113549.1.1.11'), tlv(0x05)) : tlv(0x30, oid('1.2.840.10045.4.3.2'));
  const signature = sign('sha256', info, privateKey);
  const der = tlv(0x30, info, algorithm, tlv(0x03, Buffer.from([0]), signature));
  return toPem(der, 'CERTIFICATE REQUEST');
}

export function toPem(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

export function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A CertificateAuthorityStore in memory, for tests that do not need PostgreSQL. */
export function memoryAuthorityStore(initial?: StoredCertificateAuthority): CertificateAuthorityStore & { row: StoredCertificateAuthority | undefined } {
  const store = {
    row: initial,
    load: async () => store.row,
    async insertIfAbsent(ca: { certificatePem: string; privateKeyJwe: string }) {
      store.row ??= { ...ca, createdAt: new Date() };
      return store.row;
    },
  };
  return store;
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
