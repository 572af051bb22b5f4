/**
 * Both mTLS loads against a listener configured as Fhirkeep's (certificate from the CA, client
 * certificates requested and checked against it): what each connection presented, and how many
 * connections and handshakes a run made.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { openCertificateAuthority } from '../src/auth/mtls/certificate-authority.js';
import { peerCertificate } from '../src/auth/mtls/peer-certificate.js';
import { memoryAuthorityStore, webCsr } from '../test/support/certificate-requests.js';
import { measure, type ClientTls } from './load.js';
import { readOnNewConnections } from './mtls-workloads.js';

let server: Server;
let url = '';
let tls: ClientTls;
/** Per TLS connection: resumed or not, and per request: whether the certificate was authorized. */
const handshakes: boolean[] = [];
const requests: boolean[] = [];

before(async () => {
  const ca = await openCertificateAuthority({ store: memoryAuthorityStore(), keyEncryptionKey: randomBytes(32) });
  const own = await ca.issueServerCertificate(['localhost']);
  const { csrPem, keyPem } = await webCsr('ec-p256', 'CN=bench-client');
  const signed = await ca.signClientCertificate({ csrPem, commonName: 'bench-client' });
  tls = { ca: ca.certificatePem, cert: signed.pem, key: keyPem, servername: 'localhost' };
  server = createServer({ cert: own.certPem, key: own.keyPem, ca: [ca.certificatePem], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (req, res) => {
    requests.push(peerCertificate(req.socket)?.authorized === true && req.headers.authorization === 'Bearer client-certificate');
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('{}');
  });
  server.on('secureConnection', (socket: TLSSocket) => handshakes.push(socket.isSessionReused()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('new connection each: one full handshake per request, each presenting the certificate; non-2xx are errors', async () => {
  handshakes.length = 0;
  requests.length = 0;
  let i = 0;
  const r = await readOnNewConnections(url, tls.servername, createSecureContext(tls), () => (i++ % 5 === 0 ? '/missing' : '/ok'), 3, 0.5);
  assert.ok(r.ok > 5, `${r.ok} reads`);
  assert.equal(r.ok + r.errors, requests.length);
  assert.equal(handshakes.length, requests.length, 'a connection per request');
  assert.ok(handshakes.every((resumed) => !resumed), 'no TLS session resumed');
  assert.ok(requests.every(Boolean), 'every request presented the CA-signed certificate');
  assert.equal(r.errors, r.statuses['404']);
  assert.match(r.errorSamples[0] ?? '', /^404 \{\}/);
  assert.ok(r.p50 > 0 && r.p50 <= r.p99);
});

test('keep-alive: autocannon presents the certificate on each of its connections and keeps them', async () => {
  handshakes.length = 0;
  requests.length = 0;
  const r = await measure(
    { url, connections: 2, tls, next: () => ({ method: 'GET', path: '/ok', headers: { authorization: 'Bearer client-certificate' } }) },
    0,
    1,
    { node: process.pid, database: () => [] },
  );
  assert.equal(r.errors, 0);
  assert.ok(r.ok > 20, `${r.ok} reads`);
  assert.equal(handshakes.length, 2);
  assert.ok(requests.every(Boolean), 'every request presented the CA-signed certificate');
});
