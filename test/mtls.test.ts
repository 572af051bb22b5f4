/**
 * Certificate keys and the mTLS listener over real TLS (docs/service-keys.md): a certificate
 * Fhirkeep's CA signed for a key authenticates its service on the mTLS listener, and nothing
 * else does (revoked, expired, foreign, or on the plain listener); CSRs the CA must refuse, from
 * the key service and from `fhirkeep cert sign`; and RFC 8705: tls_client_auth at the token
 * endpoint, tokens bound to the certificate, and the metadata that advertises both.
 * Static and refresh keys: test/service-keys.test.ts; brokers: test/data-broker.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openCertificateAuthority } from '../src/auth/mtls/certificate-authority.js';
import type { KeyActor } from '../src/auth/keys/key-service.js';
import { FhirkeepError } from '../src/errors/fhirkeep-error.js';
import { fromPem, memoryAuthorityStore, toPem, webCsr } from './support/certificate-requests.js';
import { runCli } from './support/cli.js';
import { startTestServer, TEST_NODE_SETTINGS, type TestServer } from './support/fhirkeep-server.js';
import { seedHolders } from './support/holders.js';
import { certificateKey, httpsRequest, keepAliveAgent, OPERATOR, type CertificateKey, type ClientIdentity, type HttpsAnswer } from './support/mtls-client.js';

const DAY = 24 * 3600 * 1000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
let server: TestServer;
/** How far the server's clock is from the real one. */
let ahead = 0;
let mtlsBase: string;
let caPem: string;
let work: string;
let feed: { id: string; secret: string };
let otherFeed: { id: string; secret: string };
/** feed's first certificate key, used wherever a valid one is needed. */
let feedCert: CertificateKey;
const observations: Record<string, string> = {};

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-mtls-'));
  chmodSync(work, 0o755);
  server = await startTestServer({ FHIRKEEP_MTLS_PORT: '0' }, { clock: () => Date.now() + ahead });
  mtlsBase = server.fhirkeep.mtlsUrl() ?? assert.fail('FHIRKEEP_MTLS_PORT=0 binds an mTLS listener');
  const { accounts, clients } = server.fhirkeep.auth;
  const alice = await accounts.create({ email: 'alice@example.org', password: 'correct horse battery staple', roles: ['patient'], patientId: 'pA' });
  const bob = await accounts.create({ email: 'bob@example.org', password: 'correct horse battery staple', roles: ['patient'], patientId: 'pB' });
  Object.assign(observations, await seedHolders(server, ['pA', 'pB']));
  const service = async (name: string) => {
    const made = await clients.register({ type: 'service', name, scopes: ['system/*.rs'] });
    return { id: made.client.id, secret: made.secret ?? '' };
  };
  feed = await service('Feed');
  otherFeed = await service('Other feed');
  // Each service has one subscriber, so whose records come back tells which client a request acted as.
  await server.fhirkeep.consents.grant({ accountId: alice.id, clientId: feed.id });
  await server.fhirkeep.consents.grant({ accountId: bob.id, clientId: otherFeed.id });
  feedCert = await certificateKey(server.fhirkeep, feed.id);
  caPem = feedCert.caPem;
});
after(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

const obsOf = (...patients: string[]) => patients.map((p) => observations[p] ?? p).sort();
const idsOf = (answer: { json?: { entry?: { resource: { id: string } }[] } }) => (answer.json?.entry ?? []).map((e) => e.resource.id).sort();
const diagnostics = (answer: HttpsAnswer) => String(answer.json?.issue?.[0]?.diagnostics ?? '');

/** A FHIR read on the mTLS listener. */
function overMtls(path: string, identity: ClientIdentity | undefined, authorization?: string, agent?: ReturnType<typeof keepAliveAgent>): Promise<HttpsAnswer> {
  return httpsRequest(`${mtlsBase}/fhir/${path}`, { ca: caPem, identity, agent, headers: authorization === undefined ? {} : { authorization } });
}

/** A FHIR read on the main (plain HTTP) listener. */
async function overMain(path: string, authorization: string | undefined): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.fhirBase}/${path}`, { headers: authorization === undefined ? {} : { authorization } });
  return { status: res.status, json: await res.json() };
}

function assertRefused(answer: { status: number; json: any }, pattern: RegExp, what: string): void {
  assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.json)}`);
  assert.equal(answer.json?.resourceType, 'OperationOutcome', what);
  assert.equal(answer.json?.entry, undefined, `${what}: never data`);
  assert.match(String(answer.json?.issue?.[0]?.diagnostics ?? ''), pattern, what);
}

/** POST /oauth2/token with a form body, on the mTLS listener (with `identity`) or the main one. */
async function tokenRequest(form: Record<string, string>, where: { identity: ClientIdentity | undefined } | 'main', headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const body = new URLSearchParams(form).toString();
  const all = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
  if (where === 'main') {
    const res = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: all, body });
    return { status: res.status, json: await res.json() };
  }
  return httpsRequest(`${mtlsBase}/oauth2/token`, { ca: caPem, identity: where.identity, method: 'POST', headers: all, body });
}

const payloadOf = (jwt: string): Record<string, any> => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, any>;
/** RFC 8705 §3.1, computed here from the PEM rather than taken from Fhirkeep. */
const x5tS256 = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

test('a certificate key: CN fhirkeep-key-<id>; its certificate reads exactly its service’s subscribers over mTLS, with Bearer client-certificate or no Authorization', async () => {
  const { key, secret } = await server.fhirkeep.auth.serviceKeys.create(feed.id, { type: 'certificate', name: 'edge gateway' }, OPERATOR);
  assert.equal(key.certificateCn, `fhirkeep-key-${key.id}`);
  assert.equal(secret, undefined, 'the private key never leaves the service: there is no secret to show');

  const issued = new X509Certificate(feedCert.cert);
  assert.equal(issued.subject, `CN=fhirkeep-key-${feedCert.keyId}`);
  assert.ok(issued.checkIssued(new X509Certificate(caPem)), 'issued by the CA handed out with it');
  assert.deepEqual(issued.keyUsage, [CLIENT_AUTH], 'for client authentication only');
  assert.equal(feedCert.thumbprint, x5tS256(feedCert.cert));
  assert.ok(new Date(issued.validTo).getTime() <= Date.now() + 365 * DAY, 'valid a year at most');

  // The listener's own certificate is checked against the CA for "localhost" (https' default): no error means it passed.
  for (const authorization of ['Bearer client-certificate', undefined]) {
    const answer = await overMtls('Observation', feedCert, authorization);
    assert.equal(answer.status, 200, `${authorization ?? '(no Authorization)'}: ${answer.text}`);
    assert.deepEqual(idsOf(answer), obsOf('pA'), 'Alice subscribed to Feed; Bob did not');
  }
  assert.equal((await overMtls(`Observation/${observations['pB'] ?? ''}`, feedCert, 'Bearer client-certificate')).status, 404, 'another service’s subscriber reads as missing');
  const other = await certificateKey(server.fhirkeep, otherFeed.id, 'rsa-2048');
  assert.deepEqual(idsOf(await overMtls('Observation', other, 'Bearer client-certificate')), obsOf('pB'), 'a certificate acts as its own key’s client (an RSA one too)');

  // Beside a certificate, a token that is not a JWT is no credential: not even another client's valid static key.
  const { secret: otherStatic } = await server.fhirkeep.auth.serviceKeys.create(otherFeed.id, { type: 'static' }, OPERATOR);
  assert.deepEqual(idsOf(await overMain('Observation', `Bearer ${otherStatic ?? ''}`)), obsOf('pB'), 'the static key itself works');
  for (const token of [otherStatic ?? '', 'fhk_made_up', 'anything-else']) {
    const answer = await overMtls('Observation', feedCert, `Bearer ${token}`);
    assert.equal(answer.status, 200, token);
    assert.deepEqual(idsOf(answer), obsOf('pA'), `${token}: the certificate decides`);
  }
  // A JWT is still checked as an access token, certificate or not.
  assertRefused(await overMtls('Observation', feedCert, 'Bearer eyJhbGciOiJub25lIn0.e30.x'), /./, 'a JWT-shaped token beside a certificate');

  // The mTLS listener without a certificate has nothing to go on.
  assertRefused(await overMtls('Observation', undefined, 'Bearer client-certificate'), /./, 'no certificate, the placeholder token');
  const bare = await overMtls('Observation', undefined);
  assert.equal(bare.status, 401);
  assert.equal(bare.json?.resourceType, 'OperationOutcome');
});

test('revoking a certificate key: its certificate is refused on the next request, on the same keep-alive connection too', async () => {
  const doomed = await certificateKey(server.fhirkeep, feed.id);
  const agent = keepAliveAgent(caPem, doomed);
  try {
    const first = await overMtls('Observation', undefined, 'Bearer client-certificate', agent);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(idsOf(first), obsOf('pA'));
    await server.fhirkeep.auth.serviceKeys.revoke(doomed.keyId, OPERATOR);
    const next = await overMtls('Observation', undefined, 'Bearer client-certificate', agent);
    assert.ok(next.reused, 'the connection that authenticated before the revocation');
    assertRefused(next, /revoked/, 'the same connection after revocation');
    assertRefused(await overMtls('Observation', doomed, undefined), /revoked/, 'a new connection');
    // Revoking one key leaves the client's other keys alone.
    assert.equal((await overMtls('Observation', feedCert, 'Bearer client-certificate')).status, 200);
  } finally {
    agent.destroy();
  }
});

test('an expired certificate, one from another CA, and a certificate on the plain listener: 401s that say why', async () => {
  // Signed while the server's clock stood two years back: it expired a year ago.
  ahead = -2 * 365 * DAY;
  let expired: CertificateKey;
  try {
    expired = await certificateKey(server.fhirkeep, feed.id);
  } finally {
    ahead = 0;
  }
  assert.ok(new Date(new X509Certificate(expired.cert).validTo).getTime() < Date.now());
  assertRefused(await overMtls('Observation', expired, 'Bearer client-certificate'), /expired/, 'expired by the TLS layer’s check');

  // Valid by the system clock, which TLS checks, but past its end by Fhirkeep's.
  const current = await certificateKey(server.fhirkeep, feed.id);
  ahead = 366 * DAY;
  try {
    assertRefused(await overMtls('Observation', current, 'Bearer client-certificate'), /expired/, 'expired by the server’s clock');
  } finally {
    ahead = 0;
  }
  assert.equal((await overMtls('Observation', current, 'Bearer client-certificate')).status, 200);

  // Another CA, with the CN of a live key: the CN proves nothing, the issuer does.
  const foreign = await openCertificateAuthority({ store: memoryAuthorityStore(), keyEncryptionKey: randomBytes(32) });
  const { csrPem, keyPem } = await webCsr('ec-p256', `CN=fhirkeep-key-${feedCert.keyId}`);
  const forged = await foreign.signClientCertificate({ csrPem, commonName: `fhirkeep-key-${feedCert.keyId}` });
  assertRefused(await overMtls('Observation', { cert: forged.pem, key: keyPem }, 'Bearer client-certificate'), /not issued by Fhirkeep/, 'another CA');

  // The main listener is plain HTTP: no handshake, no certificate, and the placeholder is just a bad token.
  assertRefused(await overMain('Observation', 'Bearer client-certificate'), /./, 'Bearer client-certificate on the main listener');
});

test('CSRs the CA refuses, and keys it does not sign for: 400 from the key service', async () => {
  const { key } = await server.fhirkeep.auth.serviceKeys.create(feed.id, { type: 'certificate' }, OPERATOR);
  const cn = `CN=${key.certificateCn ?? ''}`;
  const good = await webCsr('ec-p256', cn);
  const der = fromPem(good.csrPem);
  // The signature BIT STRING ends the DER: its last byte is signature, not structure.
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
  const tampered = toPem(der, 'CERTIFICATE REQUEST');
  const cases: [string, string, RegExp][] = [
    ['wrong CN', (await webCsr('ec-p256', `CN=fhirkeep-key-${feedCert.keyId}`)).csrPem, /CN/],
    ['RSA-1024', (await webCsr('rsa-1024', cn)).csrPem, /1024 bits/],
    ['tampered signature', tampered, /signature does not verify/],
    ['garbage', 'hello, please sign me', /not PEM/],
    ['a certificate instead of a CSR', feedCert.cert, /certificate, not a certificate signing request/],
    ['a private key instead of a CSR', good.keyPem, /private key/],
    ['empty', '', /empty/],
  ];
  for (const [what, csr, message] of cases) {
    await assert.rejects(server.fhirkeep.auth.serviceKeys.signCertificate(key.id, csr, OPERATOR), (e: unknown) => {
      assert.ok(e instanceof FhirkeepError, what);
      assert.equal(e.status, 400, what);
      assert.match(e.message, message, what);
      return true;
    });
  }
  // None of the refusals spent the key: the right CSR is still signed.
  assert.match((await server.fhirkeep.auth.serviceKeys.signCertificate(key.id, good.csrPem, OPERATOR)).pem, /BEGIN CERTIFICATE/);

  const refusedFor = async (keyId: string, actor: KeyActor = OPERATOR) => {
    try {
      await server.fhirkeep.auth.serviceKeys.signCertificate(keyId, good.csrPem, actor);
    } catch (e) {
      assert.ok(e instanceof FhirkeepError);
      return { status: e.status, message: e.message };
    }
    return assert.fail(`signed for ${keyId}`);
  };
  const { key: staticKey } = await server.fhirkeep.auth.serviceKeys.create(feed.id, { type: 'static' }, OPERATOR);
  assert.deepEqual(await refusedFor(staticKey.id), { status: 400, message: `The key ${staticKey.id} is a static key: only certificate keys have certificates` });
  await server.fhirkeep.auth.serviceKeys.revoke(key.id, OPERATOR);
  assert.deepEqual(await refusedFor(key.id), { status: 400, message: `The key ${key.id} is revoked` });
  assert.equal((await refusedFor('0'.repeat(20))).status, 404);
  assert.equal((await refusedFor(key.id, { accountId: undefined, admin: false })).status, 403, 'only the service’s manager or an admin');
});

test('fhirkeep cert sign: a certificate that works over mTLS, and a non-zero exit for whatever the CA refuses', async () => {
  // The CLI opens the CA the server made, sealed with the nodes' shared key-encryption key.
  const env = { FHIRKEEP_DATABASE_URL: server.databaseUrl, FHIRKEEP_DATA_DIR: join(work, 'data'), FHIRKEEP_LOG_LEVEL: 'warn', FHIRKEEP_KEY_ENCRYPTION_KEY: TEST_NODE_SETTINGS.FHIRKEEP_KEY_ENCRYPTION_KEY };
  const csrFile = (name: string, pem: string) => {
    const file = join(work, name);
    writeFileSync(file, pem);
    return file;
  };
  const { key } = await server.fhirkeep.auth.serviceKeys.create(feed.id, { type: 'certificate' }, OPERATOR);
  const cn = `CN=${key.certificateCn ?? ''}`;
  const made = await webCsr('ec-p384', cn);
  const signed = await runCli(['cert', 'sign', '--key', key.id, csrFile('good.csr', made.csrPem)], env);
  assert.equal(signed.code, 0, signed.stderr);
  const pem = signed.stdout.trim();
  assert.match(pem, /^-----BEGIN CERTIFICATE-----[^]+-----END CERTIFICATE-----$/);
  assert.equal(new X509Certificate(pem).subject, cn);
  assert.deepEqual(idsOf(await overMtls('Observation', { cert: pem, key: made.keyPem }, 'Bearer client-certificate')), obsOf('pA'));

  const ca = await runCli(['cert', 'ca'], env);
  assert.equal(ca.code, 0, ca.stderr);
  assert.equal(ca.stdout.trim(), caPem.trim(), 'the CA clients trust for the listener');

  const der = fromPem(made.csrPem);
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
  const { key: staticKey } = await server.fhirkeep.auth.serviceKeys.create(feed.id, { type: 'static' }, OPERATOR);
  const { key: revoked } = await server.fhirkeep.auth.serviceKeys.create(feed.id, { type: 'certificate' }, OPERATOR);
  await server.fhirkeep.auth.serviceKeys.revoke(revoked.id, OPERATOR);
  const cases: [string, string, string, RegExp][] = [
    ['wrong CN', key.id, (await webCsr('ec-p256', 'CN=someone-else')).csrPem, /CN/],
    ['RSA-1024', key.id, (await webCsr('rsa-1024', cn)).csrPem, /1024 bits/],
    ['tampered signature', key.id, toPem(der, 'CERTIFICATE REQUEST'), /signature does not verify/],
    ['garbage', key.id, 'not a CSR at all\n', /not PEM/],
    ['a static key', staticKey.id, made.csrPem, /static key/],
    ['a revoked key', revoked.id, (await webCsr('ec-p256', `CN=${revoked.certificateCn ?? ''}`)).csrPem, /revoked/],
  ];
  for (const [what, keyId, csr, message] of cases) {
    const run = await runCli(['cert', 'sign', '--key', keyId, csrFile('bad.csr', csr)], env);
    assert.notEqual(run.code, 0, what);
    assert.equal(run.stdout, '', `${what}: no certificate printed`);
    assert.match(run.stderr, message, what);
  }
});

test('RFC 8705 metadata: tls_client_auth, certificate-bound tokens, and the token endpoint on the mTLS listener', async () => {
  const metadata = (await (await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, any>;
  assert.ok(metadata.token_endpoint_auth_methods_supported.includes('tls_client_auth'));
  assert.ok(metadata.token_endpoint_auth_methods_supported.includes('client_secret_basic'), 'beside the other methods');
  assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
  assert.equal(metadata.token_endpoint, `${server.baseUrl}/oauth2/token`);
  assert.equal(metadata.mtls_endpoint_aliases.token_endpoint, `${mtlsBase}/oauth2/token`);
  assert.match(mtlsBase, /^https:\/\/localhost:\d+$/);
  assert.notEqual(new URL(mtlsBase).port, new URL(server.baseUrl).port);
  const smart = (await (await fetch(`${server.fhirBase}/.well-known/smart-configuration`)).json()) as Record<string, any>;
  assert.equal(smart.mtls_endpoint_aliases.token_endpoint, `${mtlsBase}/oauth2/token`);
  // The alias answers: the metadata there is the same document.
  const there = await httpsRequest(`${mtlsBase}/.well-known/oauth-authorization-server`, { ca: caPem });
  assert.deepEqual(there.json, metadata);
});

test('tls_client_auth: a client_credentials token bound to the certificate, usable only over mTLS with that certificate', async () => {
  const issued = await tokenRequest({ grant_type: 'client_credentials', client_id: feed.id }, { identity: feedCert });
  assert.equal(issued.status, 200, JSON.stringify(issued.json));
  const token = String(issued.json.access_token);
  const claims = payloadOf(token);
  assert.equal(claims.client_id, feed.id);
  assert.deepEqual(claims.cnf, { 'x5t#S256': x5tS256(feedCert.cert) });

  const withIt = await overMtls('Observation', feedCert, `Bearer ${token}`);
  assert.equal(withIt.status, 200, withIt.text);
  assert.deepEqual(idsOf(withIt), obsOf('pA'));
  assertRefused(await overMain('Observation', `Bearer ${token}`), /certificate/, 'on the main listener');
  const sibling = await certificateKey(server.fhirkeep, feed.id);
  assertRefused(await overMtls('Observation', sibling, `Bearer ${token}`), /certificate/, 'with another certificate of the same client');
  assertRefused(await overMtls('Observation', undefined, `Bearer ${token}`), /certificate/, 'over mTLS without a certificate');
});

test('tls_client_auth refuses another client’s id, a missing certificate, and a revoked key’s certificate: invalid_client', async () => {
  const asOther = await tokenRequest({ grant_type: 'client_credentials', client_id: otherFeed.id }, { identity: feedCert });
  assert.equal(asOther.status, 401, JSON.stringify(asOther.json));
  assert.equal(asOther.json.error, 'invalid_client');
  assert.equal(asOther.json.access_token, undefined);

  for (const [what, where] of [['the main listener', 'main'], ['the mTLS listener without a certificate', { identity: undefined }]] as const) {
    const bare = await tokenRequest({ grant_type: 'client_credentials', client_id: feed.id }, where);
    assert.equal(bare.status, 401, `${what}: ${JSON.stringify(bare.json)}`);
    assert.equal(bare.json.error, 'invalid_client', what);
  }

  const doomed = await certificateKey(server.fhirkeep, feed.id);
  const before = await tokenRequest({ grant_type: 'client_credentials', client_id: feed.id }, { identity: doomed });
  assert.equal(before.status, 200);
  await server.fhirkeep.auth.serviceKeys.revoke(doomed.keyId, OPERATOR);
  const after = await tokenRequest({ grant_type: 'client_credentials', client_id: feed.id }, { identity: doomed });
  assert.equal(after.status, 401);
  assert.equal(after.json.error, 'invalid_client');
  assert.match(String(after.json.error_description), /revoked/);
});

test('a bound token dies with its certificate’s key', async () => {
  const doomed = await certificateKey(server.fhirkeep, feed.id);
  const issued = await tokenRequest({ grant_type: 'client_credentials', client_id: feed.id }, { identity: doomed });
  const token = String(issued.json.access_token);
  assert.equal((await overMtls('Observation', doomed, `Bearer ${token}`)).status, 200);
  const introspect = async () => {
    const res = await fetch(`${server.baseUrl}/oauth2/introspect`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${feed.id}:${feed.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    return (await res.json()) as { active: boolean; cnf?: { 'x5t#S256': string } };
  };
  const live = await introspect();
  assert.equal(live.active, true);
  assert.equal(live.cnf?.['x5t#S256'], x5tS256(doomed.cert), 'RFC 8705 §3.2: introspection names the certificate');
  await server.fhirkeep.auth.serviceKeys.revoke(doomed.keyId, OPERATOR);
  // "Revoking a key kills every form on the next request": the token is worth nothing without a usable certificate.
  assertRefused(await overMtls('Observation', doomed, `Bearer ${token}`), /revoked/, 'the bound token after its key was revoked');
  assert.deepEqual(await introspect(), { active: false }, 'and introspection says so');
});

test('a token from the secret flow is not bound: it works on both listeners, whatever certificate comes with it', async () => {
  const basic = `Basic ${Buffer.from(`${feed.id}:${feed.secret}`).toString('base64')}`;
  const issued = await tokenRequest({ grant_type: 'client_credentials' }, 'main', { authorization: basic });
  assert.equal(issued.status, 200, JSON.stringify(issued.json));
  const token = String(issued.json.access_token);
  assert.equal(payloadOf(token).cnf, undefined);
  assert.deepEqual(idsOf(await overMain('Observation', `Bearer ${token}`)), obsOf('pA'));
  assert.deepEqual(idsOf(await overMtls('Observation', undefined, `Bearer ${token}`)), obsOf('pA'), 'mTLS without a certificate');
  const otherCert = await certificateKey(server.fhirkeep, otherFeed.id);
  assert.deepEqual(idsOf(await overMtls('Observation', otherCert, `Bearer ${token}`)), obsOf('pA'), 'the token decides, not another client’s certificate');

  // A secret sent over mTLS is the method used: the certificate beside it does not bind the token.
  const overTls = await tokenRequest({ grant_type: 'client_credentials' }, { identity: feedCert }, { authorization: basic });
  assert.equal(overTls.status, 200, JSON.stringify(overTls.json));
  assert.equal(payloadOf(String(overTls.json.access_token)).cnf, undefined);
  assert.equal((await overMain('Observation', `Bearer ${String(overTls.json.access_token)}`)).status, 200);
});
