import 'reflect-metadata';
import assert from 'node:assert/strict';
import { KeyObject, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type SecureVersion } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { SubjectAlternativeNameExtension, X509CertificateGenerator } from '@peculiar/x509';
import { freePort } from '../src/storage/cluster/free-port.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';

const HSTS = 'max-age=31536000; includeSubDomains';
const dir = mkdtempSync(join(tmpdir(), 'fhirkeep-tls-'));
let certPem = '';
const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** A self-signed RSA certificate for localhost (RSA, so even a TLS 1.1 cipher suite could be offered). */
before(async () => {
  const keys = (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=localhost',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' },
      extensions: [new SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }])],
    },
    webcrypto as Crypto,
  );
  certPem = cert.toString('pem');
  writeFileSync(join(dir, 'cert.pem'), certPem);
  writeFileSync(join(dir, 'key.pem'), KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }));
});

async function serverWith(settings: Record<string, string>): Promise<TestServer> {
  const server = await startTestServer(settings);
  servers.push(server);
  return server;
}

/** The TLS version a handshake settled on, or the error code it failed with. */
function handshake(port: number, min: SecureVersion, max: SecureVersion): Promise<{ version: string | null } | { error: string }> {
  return new Promise((resolve) => {
    // SECLEVEL=0 lets this client really offer TLS 1.0/1.1 (OpenSSL 3 refuses to by default), so
    // the refusal seen is the server's.
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', minVersion: min, maxVersion: max, ciphers: 'DEFAULT@SECLEVEL=0', ca: certPem, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      resolve({ version: socket.getProtocol() });
      socket.end();
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** The response headers of a GET over HTTPS, trusting the test certificate. */
function httpsHeaders(url: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: certPem }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.headers));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('HTTPS listener (FHIRKEEP_TLS_CERT)', () => {
  let server: TestServer;
  before(async () => {
    server = await serverWith({ FHIRKEEP_TLS_CERT: join(dir, 'cert.pem'), FHIRKEEP_TLS_KEY: join(dir, 'key.pem'), FHIRKEEP_MTLS_PORT: '0' });
  });
  const portOf = (url: string) => Number(new URL(url).port);

  test('refuses TLS 1.0 and 1.1; accepts 1.2 and 1.3', async () => {
    const port = portOf(server.baseUrl);
    assert.deepEqual(await handshake(port, 'TLSv1.1', 'TLSv1.1'), { error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    assert.deepEqual(await handshake(port, 'TLSv1', 'TLSv1.1'), { error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    assert.deepEqual(await handshake(port, 'TLSv1.2', 'TLSv1.2'), { version: 'TLSv1.2' });
    assert.deepEqual(await handshake(port, 'TLSv1.3', 'TLSv1.3'), { version: 'TLSv1.3' });
  });

  test('the mTLS listener accepts TLS 1.3 only', async () => {
    const port = portOf(server.fhirkeep.mtlsUrl() ?? '');
    assert.deepEqual(await handshake(port, 'TLSv1.2', 'TLSv1.2'), { error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    assert.deepEqual(await handshake(port, 'TLSv1.3', 'TLSv1.3'), { version: 'TLSv1.3' });
  });

  test('every response carries HSTS and nosniff: FHIR, OAuth, portal, errors', async () => {
    for (const path of ['/fhir/metadata', '/fhir/Patient', '/oauth2/jwks', '/portal/sign-in', '/healthz', '/nothing-here']) {
      const headers = await httpsHeaders(`${server.baseUrl}${path}`);
      assert.equal(headers['strict-transport-security'], HSTS, path);
      assert.equal(headers['x-content-type-options'], 'nosniff', path);
    }
  });
});

describe('plain HTTP', () => {
  test('no HSTS (browsers would ignore it, and localhost must not be pinned); nosniff everywhere', async () => {
    const server = await serverWith({});
    for (const path of ['/fhir/metadata', '/fhir/Patient', '/oauth2/jwks', '/portal/sign-in', '/nothing-here']) {
      const res = await fetch(`${server.baseUrl}${path}`, { redirect: 'manual' });
      assert.equal(res.headers.get('strict-transport-security'), null, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    // A client's X-Forwarded-Proto is not believed without FHIRKEEP_TRUST_PROXY.
    const forged = await fetch(`${server.baseUrl}/fhir/metadata`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(forged.headers.get('strict-transport-security'), null);
  });

  test('behind a TLS-terminating proxy: HSTS when the public base URL is https, or a trusted proxy says https', async () => {
    const port = await freePort();
    await serverWith({ FHIRKEEP_PORT: String(port), FHIRKEEP_BASE_URL: 'https://fhir.example' });
    assert.equal((await fetch(`http://localhost:${port}/fhir/metadata`)).headers.get('strict-transport-security'), HSTS);

    const proxied = await serverWith({ FHIRKEEP_TRUST_PROXY: 'loopback' });
    const viaProxy = await fetch(`${proxied.baseUrl}/fhir/metadata`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(viaProxy.headers.get('strict-transport-security'), HSTS);
    assert.equal((await fetch(`${proxied.baseUrl}/fhir/metadata`)).headers.get('strict-transport-security'), null);
  });

  test('portal pages: CSP without inline code, no framing, referrer, permissions and opener policies', async () => {
    const server = await serverWith({});
    const res = await fetch(`${server.baseUrl}/portal/sign-in`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    assert.ok(!csp.includes('unsafe-inline'));
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'same-origin');
    assert.match(res.headers.get('permissions-policy') ?? '', /camera=\(\), microphone=\(\), geolocation=\(\)/);
    assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    // A page of the portal refused for a missing session has them too.
    const refused = await fetch(`${server.baseUrl}/portal/apps/new`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-frame-options'), 'DENY');
    assert.equal(refused.headers.get('cross-origin-opener-policy'), 'same-origin');
  });
});
