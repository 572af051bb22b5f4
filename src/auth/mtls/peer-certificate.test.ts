/**
 * Real TLS handshakes: an HTTPS listener configured the way Fhirkeep's mTLS listener is (its
 * certificate from the CA, client certificates requested, checked against the CA, never
 * rejected in the handshake) and clients presenting certificates of every kind.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes, webcrypto } from 'node:crypto';
import { createServer, request, Agent, type Server } from 'node:https';
import { Socket, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { X509CertificateGenerator } from '@peculiar/x509';
import { memoryAuthorityStore, webCsr } from '../../../test/support/certificate-requests.js';
import { openCertificateAuthority, type CertificateAuthority } from './certificate-authority.js';
import { peerCertificate, type PeerCertificate } from './peer-certificate.js';

const DAY = 24 * 3600 * 1000;
const kek = randomBytes(32);
const store = memoryAuthorityStore();
let ca: CertificateAuthority;
let server: Server;
let port: number;
/** What the listener saw, request by request. */
const seen: (PeerCertificate | undefined)[] = [];

interface Seen {
  readonly thumbprint: string;
  readonly authorized: boolean;
  readonly problem: string | null;
}

before(async () => {
  ca = await openCertificateAuthority({ store, keyEncryptionKey: kek });
  const { certPem, keyPem } = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  server = createServer({ key: keyPem, cert: certPem, ca: [ca.certificatePem], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (req, res) => {
    const peer = peerCertificate(req.socket);
    seen.push(peer);
    res.end(JSON.stringify(peer === undefined ? null : { thumbprint: peer.thumbprint, authorized: peer.authorized, problem: peer.problem ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** One request on a connection of its own, the listener's certificate checked against the CA for "localhost". */
function get(client: { key?: string; cert?: string; agent?: Agent } = {}): Promise<Seen | null> {
  return new Promise((resolve, reject) => {
    const { agent = false, ...credentials } = client;
    const req = request({ host: '127.0.0.1', port, servername: 'localhost', path: '/', ca: [ca.certificatePem], agent, ...credentials }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body) as Seen | null));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A client key and the certificate `issuer` signed for it. */
async function clientCertificate(issuer: CertificateAuthority, kind: 'ec-p256' | 'rsa-2048' = 'ec-p256') {
  const { csrPem, keyPem } = await webCsr(kind, 'CN=svc-tls');
  const issued = await issuer.signClientCertificate({ csrPem, commonName: 'svc-tls' });
  return { key: keyPem, cert: issued.pem, issued };
}

test('a certificate the CA issued: authorized, with the thumbprint signClientCertificate returned', async () => {
  for (const kind of ['ec-p256', 'rsa-2048'] as const) {
    const { key, cert, issued } = await clientCertificate(ca, kind);
    assert.deepEqual(await get({ key, cert }), { thumbprint: issued.thumbprint, authorized: true, problem: null });
    assert.deepEqual(seen.at(-1)?.der, issued.der);
  }
});

test('no client certificate: none to report', async () => {
  assert.equal(await get(), null);
  assert.equal(peerCertificate(new Socket()), undefined, 'a plain socket');
});

test('a certificate issued two years ago (expired): not authorized, and the problem says so', async () => {
  const past = await openCertificateAuthority({ store, keyEncryptionKey: kek, now: () => Date.now() - 2 * 365 * DAY });
  assert.equal(past.certificatePem, ca.certificatePem, 'the same CA, its clock set back');
  const { key, cert, issued } = await clientCertificate(past);
  assert.ok(issued.notAfter.getTime() < Date.now());
  assert.deepEqual(await get({ key, cert }), { thumbprint: issued.thumbprint, authorized: false, problem: 'the certificate has expired' });
});

test('a certificate not valid yet: not authorized', async () => {
  const future = await openCertificateAuthority({ store, keyEncryptionKey: kek, now: () => Date.now() + 2 * DAY });
  const { key, cert, issued } = await clientCertificate(future);
  assert.deepEqual(await get({ key, cert }), { thumbprint: issued.thumbprint, authorized: false, problem: 'the certificate is not yet valid' });
});

test("a certificate from another CA, or self-signed: not authorized, not issued by Fhirkeep's CA", async () => {
  const other = await openCertificateAuthority({ store: memoryAuthorityStore(), keyEncryptionKey: kek });
  const { key, cert, issued } = await clientCertificate(other);
  assert.deepEqual(await get({ key, cert }), { thumbprint: issued.thumbprint, authorized: false, problem: "the certificate was not issued by Fhirkeep's CA" });

  const crypto = webcrypto as Crypto;
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const selfSigned = await X509CertificateGenerator.createSelfSigned({ name: 'CN=svc-tls', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams }, crypto);
  const selfKey = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const seenSelf = await get({ key: `-----BEGIN PRIVATE KEY-----\n${selfKey}\n-----END PRIVATE KEY-----\n`, cert: selfSigned.toString('pem') });
  assert.equal(seenSelf?.authorized, false);
  assert.match(seenSelf?.problem ?? '', /self-signed, not issued by Fhirkeep's CA/);
});

test('a keep-alive connection: read once, the same answer for every request on it', async () => {
  const { key, cert, issued } = await clientCertificate(ca);
  const agent = new Agent({ keepAlive: true, maxSockets: 1, key, cert, ca: [ca.certificatePem] });
  try {
    const first = await get({ agent });
    const second = await get({ agent });
    assert.equal(first?.thumbprint, issued.thumbprint);
    assert.deepEqual(second, first);
    const [a, b] = seen.slice(-2);
    assert.ok(a !== undefined && a === b, 'the cached object, not a second reading');
  } finally {
    agent.destroy();
  }
});
