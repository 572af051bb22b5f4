import 'reflect-metadata';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/** A 16384-bit RSA CSR is under 6 KiB of PEM: anything near this bound is not a CSR. */
const MAX_PEM_CHARS = 64 * 1024;
const MIN_RSA_BITS = 2048;
/** Larger keys only cost the verifier time (each handshake checks a signature with it). */
const MAX_RSA_BITS = 16384;
/** X.520 ub-common-name. */
const MAX_CN_CHARS = 64;
/** OpenSSL's names for the curves TLS clients use, as the certificate's key type. */
const CURVES: Readonly<Record<string, CsrKey & { type: 'ec' }>> = {
  prime256v1: { type: 'ec', curve: 'P-256' },
  secp384r1: { type: 'ec', curve: 'P-384' },
  secp521r1: { type: 'ec', curve: 'P-521' },
};
const SUPPORTED = `RSA of ${MIN_RSA_BITS} bits or more, or ECDSA on P-256, P-384 or P-521`;

export type CsrKey = { readonly type: 'rsa'; readonly bits: number } | { readonly type: 'ec'; readonly curve: 'P-256' | 'P-384' | 'P-521' };

export interface CheckedCsr {
  /** The requester's public key (SubjectPublicKeyInfo, DER): what the certificate will certify. */
  readonly spki: Buffer;
  readonly key: CsrKey;
  readonly commonName: string;
}

const bad = (message: string, cause?: unknown) => new FhirkeepError('bad-request', message, cause === undefined ? {} : { cause });

/**
 * A PKCS#10 CSR that may be signed for the key whose CN is `expectedCn`: well-formed, signed by
 * the key it carries (proof of possession, and proof nothing was altered), with exactly that CN
 * and a key strong enough. Anything else is the caller's mistake, explained in a 400.
 */
export async function checkCsr(pem: string, expectedCn: string): Promise<CheckedCsr> {
  if (expectedCn.length === 0 || expectedCn.length > MAX_CN_CHARS) {
    throw bad(`A certificate key's CN must be 1 to ${MAX_CN_CHARS} characters long`);
  }
  const csr = parseCsr(csrDer(pem));
  const key = checkKey(csr);
  await checkSignature(csr);
  checkCommonName(csr, expectedCn);
  return { spki: Buffer.from(csr.publicKey.rawData), key, commonName: expectedCn };
}

/** The DER inside the one PEM block, which must be a CSR's. */
function csrDer(pem: unknown): Buffer {
  if (typeof pem !== 'string' || pem.trim() === '') throw bad('The CSR is empty: send a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)');
  if (pem.length > MAX_PEM_CHARS) throw bad(`The CSR is larger than ${MAX_PEM_CHARS / 1024} KiB: it is not a certificate signing request`);
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]{1,40})-----([^-]*)-----END \1-----/g)];
  const [block] = blocks;
  if (block === undefined) throw bad('The CSR is not PEM: expected a block from -----BEGIN CERTIFICATE REQUEST----- to -----END CERTIFICATE REQUEST-----');
  if (blocks.length > 1) throw bad(`The CSR holds ${blocks.length} PEM blocks: send exactly one, the certificate signing request`);
  const label = block[1] ?? '';
  // "NEW CERTIFICATE REQUEST" is the label older tools (Netscape, MS) still write.
  if (label !== 'CERTIFICATE REQUEST' && label !== 'NEW CERTIFICATE REQUEST') {
    if (label === 'CERTIFICATE') throw bad('This is a certificate, not a certificate signing request: send the CSR (-----BEGIN CERTIFICATE REQUEST-----) and Fhirkeep issues the certificate');
    if (label.endsWith('PRIVATE KEY')) throw bad('This is a private key, not a certificate signing request: a private key must never leave its owner; send the CSR made with it');
    throw bad(`This PEM holds a ${label}, not a certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)`);
  }
  const base64 = (block[2] ?? '').replace(/\s+/g, '');
  if (base64 === '' || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw bad('The CSR is not valid PEM: its body is not base64');
  return Buffer.from(base64, 'base64');
}

function parseCsr(der: Buffer): Pkcs10CertificateRequest {
  try {
    const csr = new Pkcs10CertificateRequest(new Uint8Array(der));
    // Its fields are decoded on first use: read them here, where a decoding error is a bad CSR.
    void csr.subjectName;
    void csr.publicKey;
    return csr;
  } catch (e) {
    throw bad('The CSR is malformed: it is not a PKCS#10 certification request', e);
  }
}

function checkKey(csr: Pkcs10CertificateRequest): CsrKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (e) {
    throw bad(`The CSR's public key is malformed or of an unsupported kind: use ${SUPPORTED}`, e);
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    const exponent = details.publicExponent ?? 0n;
    if (bits < MIN_RSA_BITS) throw bad(`The CSR's RSA key has ${bits} bits: at least ${MIN_RSA_BITS} are required`);
    if (bits > MAX_RSA_BITS) throw bad(`The CSR's RSA key has ${bits} bits: at most ${MAX_RSA_BITS} are supported`);
    if (exponent < 3n || exponent % 2n === 0n) throw bad("The CSR's RSA key has an invalid public exponent");
    return { type: 'rsa', bits };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[details.namedCurve ?? ''];
    if (curve === undefined) throw bad(`The CSR's key is on the curve ${details.namedCurve ?? '(explicit parameters)'}, which is not supported: use ${SUPPORTED}`);
    return curve;
  }
  throw bad(`The CSR's key is ${key.asymmetricKeyType ?? 'of an unknown type'}, which is not supported: use ${SUPPORTED}`);
}

async function checkSignature(csr: Pkcs10CertificateRequest): Promise<void> {
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch (e) {
    throw bad("The CSR's signature cannot be checked: its signature algorithm is not supported or does not fit its key", e);
  }
  if (!verified) throw bad("The CSR's signature does not verify: the CSR was altered after it was signed, or signed with another key than the one it holds");
}

function checkCommonName(csr: Pkcs10CertificateRequest, expected: string): void {
  let names: string[];
  try {
    names = csr.subjectName.getField('CN');
  } catch (e) {
    throw bad("The CSR's subject is malformed", e);
  }
  const [cn] = names;
  if (cn === undefined) throw bad(`The CSR's subject has no CN: it must be CN=${expected}`);
  if (names.length > 1) throw bad(`The CSR's subject has ${names.length} CNs: it must have exactly one, CN=${expected}`);
  if (cn !== expected) throw bad(`The CSR's CN is "${cn.slice(0, MAX_CN_CHARS * 2)}" but this key's CN is "${expected}": make the CSR with CN=${expected}`);
}
