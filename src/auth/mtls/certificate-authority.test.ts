import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { memoryAuthorityStore, webCsr } from '../../../test/support/certificate-requests.js';
import { isFhirkeepError } from '../../errors/fhirkeep-error.js';
import { createCertificateAuthorityStore } from '../../storage/auth/certificate-authority-store.js';
import { openCertificateAuthority, type CertificateAuthority } from './certificate-authority.js';

const DAY = 24 * 3600 * 1000;
let testDb: TestDatabase;
const kek = randomBytes(32);
let ca: CertificateAuthority;
const open = (key = kek) => openCertificateAuthority({ store: createCertificateAuthorityStore(testDb.db.sql), keyEncryptionKey: key });

before(async () => {
  testDb = await createTestDatabase();
});
after(async () => {
  await testDb.drop();
});

test('the CA is made once: two nodes opening at once, and every later open, load the same CA', async () => {
  let inserts = 0;
  // Each node waits until both have looked (and found nothing), so both really race to insert.
  let looked = 0;
  let bothLooked: () => void = () => {};
  const barrier = new Promise<void>((resolve) => (bothLooked = resolve));
  const racing = () => {
    const store = createCertificateAuthorityStore(testDb.db.sql);
    const load = async () => {
      const found = await store.load();
      if (++looked === 2) bothLooked();
      await barrier;
      return found;
    };
    return openCertificateAuthority({ store: { ...store, load, insertIfAbsent: (ca) => (inserts++, store.insertIfAbsent(ca)) }, keyEncryptionKey: kek });
  };
  const [a, b] = await Promise.all([racing(), racing()]);
  assert.equal(inserts, 2, 'both found no CA and made one');
  assert.equal(b.certificatePem, a.certificatePem, 'both use the one stored first');
  ca = await open();
  assert.equal(ca.certificatePem, a.certificatePem);
  const rows = await testDb.db.sql<{ private_key_jwe: string }[]>`select private_key_jwe from certificate_authority`;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.private_key_jwe.split('.').length, 5, 'the private key is a compact JWE');
  assert.doesNotMatch(rows[0]?.private_key_jwe ?? '', /"d"/);
  // What one node issues, a certificate of the CA another node loaded verifies.
  const issued = await b.signClientCertificate({ csrPem: (await webCsr('ec-p256', 'CN=svc-1')).csrPem, commonName: 'svc-1' });
  assert.ok(new X509Certificate(issued.pem).verify(new X509Certificate(a.certificatePem).publicKey));
});

test('the CA certificate: self-signed ECDSA P-256, a CA limited to end-entity certificates, for 10 years', () => {
  const cert = new X509Certificate(ca.certificatePem);
  assert.ok(cert.ca);
  assert.equal(cert.subject, cert.issuer);
  assert.match(cert.subject, /^CN=Fhirkeep client CA [0-9a-f]{8}$/);
  assert.ok(cert.verify(cert.publicKey));
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * DAY);
  assert.ok(years > 9.99 && years < 10.01, `${years} years`);
  const parsed = new PeculiarCertificate(ca.certificatePem);
  const constraints = parsed.getExtension(BasicConstraintsExtension);
  assert.ok(constraints?.critical && constraints.ca && constraints.pathLength === 0);
  const usage = parsed.getExtension(KeyUsagesExtension);
  assert.ok(usage?.critical);
  assert.equal(usage.usages, KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign);
});

test('a node with another key-encryption key refuses to open the CA, naming the setting', async () => {
  await assert.rejects(open(randomBytes(32)), /certificate authority's private key cannot be decrypted .*FHIRKEEP_KEY_ENCRYPTION_KEY/);
});

test("a CA row whose key is not its certificate's is refused", async () => {
  const [row] = await testDb.db.sql<{ private_key_jwe: string }[]>`select private_key_jwe from certificate_authority`;
  const other = memoryAuthorityStore();
  await openCertificateAuthority({ store: other, keyEncryptionKey: kek });
  const swapped = memoryAuthorityStore({ certificatePem: other.row?.certificatePem ?? '', privateKeyJwe: row?.private_key_jwe ?? '', createdAt: new Date() });
  await assert.rejects(openCertificateAuthority({ store: swapped, keyEncryptionKey: kek }), /does not belong to its certificate/);
});

for (const kind of ['rsa-2048', 'ec-p256'] as const) {
  test(`a ${kind} CSR becomes a clientAuth certificate of CN=<the key's CN> that verifies against the CA`, async () => {
    const before = Date.now();
    const issued = await ca.signClientCertificate({ csrPem: (await webCsr(kind, 'CN=svc-1, O=Ignored')).csrPem, commonName: 'svc-1' });
    const cert = new X509Certificate(issued.pem);
    const caCert = new X509Certificate(ca.certificatePem);
    assert.ok(cert.verify(caCert.publicKey));
    assert.ok(cert.checkIssued(caCert));
    assert.equal(cert.ca, false);
    assert.equal(cert.subject, 'CN=svc-1', 'the CN alone, whatever else the CSR asked for');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'extended key usage: clientAuth only');
    assert.deepEqual(cert.raw, issued.der);
    assert.equal(issued.serial, cert.serialNumber);
    assert.match(issued.serial, /^[0-9A-F]{32}$/);
    assert.equal(issued.thumbprint, createHash('sha256').update(issued.der).digest('base64url'));
    assert.match(issued.thumbprint, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(issued.notBefore.getTime(), Date.parse(cert.validFrom));
    assert.equal(issued.notAfter.getTime(), Date.parse(cert.validTo));
    assert.ok(issued.notBefore.getTime() <= before && issued.notBefore.getTime() >= before - 61_000, 'backdated by a minute for clock skew');
    assert.ok(issued.notAfter.getTime() - issued.notBefore.getTime() <= 365 * DAY, 'valid for at most a year');
    assert.ok(issued.notAfter.getTime() - before > 364 * DAY);
    const parsed = new PeculiarCertificate(issued.pem);
    const usage = parsed.getExtension(KeyUsagesExtension);
    assert.ok(usage?.critical);
    const expected = kind === 'rsa-2048' ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment : KeyUsageFlags.digitalSignature;
    assert.equal(usage.usages, expected);
    assert.ok(parsed.getExtension(BasicConstraintsExtension)?.critical);
    assert.notEqual((await ca.signClientCertificate({ csrPem: (await webCsr(kind, 'CN=svc-1')).csrPem, commonName: 'svc-1' })).serial, issued.serial);
  });
}

test('notAfter shortens a certificate, never lengthens it, and must be in the future', async () => {
  const { csrPem } = await webCsr('ec-p256', 'CN=svc-1');
  const soon = new Date(Date.now() + 7 * DAY);
  const short = await ca.signClientCertificate({ csrPem, commonName: 'svc-1', notAfter: soon });
  assert.equal(short.notAfter.getTime(), Math.floor(soon.getTime() / 1000) * 1000);
  const long = await ca.signClientCertificate({ csrPem, commonName: 'svc-1', notAfter: new Date(Date.now() + 5 * 365 * DAY) });
  assert.ok(long.notAfter.getTime() - long.notBefore.getTime() <= 365 * DAY);
  for (const notAfter of [new Date(Date.now() - 1000), new Date(Number.NaN)]) {
    await assert.rejects(ca.signClientCertificate({ csrPem, commonName: 'svc-1', notAfter }), (e: unknown) => isFhirkeepError(e) && e.status === 400);
  }
});

test('CSRs that do not fit are a 400 before anything is signed: wrong CN, RSA 1024, not a CSR', async () => {
  const is400 = (message: RegExp) => (e: unknown) => isFhirkeepError(e) && e.status === 400 && message.test(e.message);
  await assert.rejects(ca.signClientCertificate({ csrPem: (await webCsr('ec-p256', 'CN=svc-2')).csrPem, commonName: 'svc-1' }), is400(/CN=svc-1/));
  await assert.rejects(ca.signClientCertificate({ csrPem: (await webCsr('rsa-1024', 'CN=svc-1')).csrPem, commonName: 'svc-1' }), is400(/1024 bits/));
  await assert.rejects(ca.signClientCertificate({ csrPem: ca.certificatePem, commonName: 'svc-1' }), is400(/certificate, not a certificate signing request/));
});

test('a server certificate for the mTLS listener: serverAuth, the host names and IPs as SANs, 90 days, signed by the CA', async () => {
  const { certPem, keyPem } = await ca.issueServerCertificate(['localhost', 'fhir.example.org', '127.0.0.1', '::1']);
  const cert = new X509Certificate(certPem);
  assert.ok(cert.verify(new X509Certificate(ca.certificatePem).publicKey));
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(cert.ca, false);
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkHost('fhir.example.org'), 'fhir.example.org');
  assert.equal(cert.checkHost('other.example.org'), undefined);
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkIP('::1'), '::1');
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
  assert.ok(days > 89.9 && days <= 90, `${days} days`);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
  await assert.rejects(ca.issueServerCertificate([]), /at least one host name/);
});
