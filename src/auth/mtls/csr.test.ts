import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { isFhirkeepError } from '../../errors/fhirkeep-error.js';
import { derCsr, fromPem, toPem, webCsr } from '../../../test/support/certificate-requests.js';
import { checkCsr } from './csr.js';

/** A 400 whose message matches `message`: the only way a CSR may fail. */
const rejects400 = (pem: string, cn: string, message: RegExp) =>
  assert.rejects(checkCsr(pem, cn), (e: unknown) => {
    assert.ok(isFhirkeepError(e), `a FhirkeepError, not ${String(e)}`);
    assert.equal(e.status, 400);
    assert.match(e.message, message);
    return true;
  });

test('RSA 2048 and ECDSA P-256/P-384 CSRs with the expected CN pass; the key and its SPKI are returned', async () => {
  const rsa = await checkCsr((await webCsr('rsa-2048', 'CN=svc-rsa')).csrPem, 'svc-rsa');
  assert.deepEqual(rsa.key, { type: 'rsa', bits: 2048 });
  assert.equal(rsa.commonName, 'svc-rsa');
  assert.equal(rsa.spki[0], 0x30, 'DER SubjectPublicKeyInfo');
  assert.deepEqual((await checkCsr((await webCsr('ec-p256', 'CN=svc-ec')).csrPem, 'svc-ec')).key, { type: 'ec', curve: 'P-256' });
  assert.deepEqual((await checkCsr((await webCsr('ec-p384', 'CN=svc-ec')).csrPem, 'svc-ec')).key, { type: 'ec', curve: 'P-384' });
  // Other attributes beside the CN are allowed: the certificate's subject is the CN alone.
  assert.equal((await checkCsr((await webCsr('ec-p256', 'CN=svc-ec, O=Example, C=NL')).csrPem, 'svc-ec')).commonName, 'svc-ec');
});

test('a CSR made without @peculiar/x509 (hand-built DER, node:crypto signature) passes too', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  assert.deepEqual((await checkCsr(derCsr(privateKey, ['svc-1']), 'svc-1')).key, { type: 'ec', curve: 'P-521' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 });
  assert.deepEqual((await checkCsr(derCsr(rsa.privateKey, ['svc-1']), 'svc-1')).key, { type: 'rsa', bits: 3072 });
});

test('the CN must be there, once, and be the expected one; the error names the expected CN', async () => {
  const { csrPem } = await webCsr('ec-p256', 'CN=someone-else');
  await rejects400(csrPem, 'svc-1', /CN is "someone-else" but this key's CN is "svc-1"/);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await rejects400(derCsr(privateKey, []), 'svc-1', /no CN: it must be CN=svc-1/);
  await rejects400(derCsr(privateKey, ['svc-1', 'svc-1']), 'svc-1', /2 CNs: it must have exactly one, CN=svc-1/);
  await rejects400(derCsr(privateKey, ['SVC-1']), 'svc-1', /CN is "SVC-1"/);
  await rejects400((await webCsr('ec-p256', 'O=No common name')).csrPem, 'svc-1', /no CN/);
});

test('weak or unsupported keys are refused: RSA under 2048 bits, other curves, other algorithms', async () => {
  await rejects400((await webCsr('rsa-1024', 'CN=svc-1')).csrPem, 'svc-1', /RSA key has 1024 bits: at least 2048/);
  await rejects400((await webCsr('ed25519', 'CN=svc-1')).csrPem, 'svc-1', /ed25519, which is not supported: use RSA of 2048 bits or more, or ECDSA on P-256/);
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  await rejects400(derCsr(k1.privateKey, ['svc-1']), 'svc-1', /curve secp256k1, which is not supported/);
  const small = generateKeyPairSync('rsa', { modulusLength: 1536 });
  await rejects400(derCsr(small.privateKey, ['svc-1']), 'svc-1', /1536 bits/);
});

test('a CSR altered after signing (its CN changed) is refused for its signature', async () => {
  const der = fromPem((await webCsr('rsa-2048', 'CN=svc-a')).csrPem);
  const at = der.indexOf('svc-a');
  assert.ok(at > 0);
  der.write('svc-b', at);
  await rejects400(toPem(der, 'CERTIFICATE REQUEST'), 'svc-b', /signature does not verify: the CSR was altered/);
  // The same with the signature itself damaged.
  const signed = fromPem((await webCsr('ec-p256', 'CN=svc-a')).csrPem);
  signed.writeUInt8(signed.readUInt8(signed.length - 3) ^ 0x01, signed.length - 3);
  await rejects400(toPem(signed, 'CERTIFICATE REQUEST'), 'svc-a', /signature/);
});

test('garbage, empty, huge, several blocks, a certificate or a key instead of a CSR: a clear 400 each', async () => {
  const { csrPem, keyPem } = await webCsr('ec-p256', 'CN=svc-1');
  await rejects400('', 'svc-1', /empty/);
  await rejects400('   \n', 'svc-1', /empty/);
  await rejects400(undefined as unknown as string, 'svc-1', /empty/);
  await rejects400('hello', 'svc-1', /not PEM/);
  await rejects400(fromPem(csrPem).toString('base64'), 'svc-1', /not PEM/);
  await rejects400(`${csrPem}${'x'.repeat(70 * 1024)}`, 'svc-1', /larger than 64 KiB/);
  await rejects400(toPem(randomBytes(300 * 1024), 'CERTIFICATE REQUEST'), 'svc-1', /larger than 64 KiB/);
  await rejects400(toPem(randomBytes(200), 'CERTIFICATE REQUEST'), 'svc-1', /malformed/);
  await rejects400(toPem(Buffer.alloc(0), 'CERTIFICATE REQUEST'), 'svc-1', /not base64/);
  await rejects400('-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n', 'svc-1', /not base64/);
  await rejects400(csrPem + csrPem, 'svc-1', /2 PEM blocks/);
  await rejects400(keyPem, 'svc-1', /private key must never leave its owner/);
  await rejects400(toPem(fromPem(csrPem), 'CERTIFICATE'), 'svc-1', /This is a certificate, not a certificate signing request/);
  await rejects400(toPem(fromPem(csrPem), 'PUBLIC KEY'), 'svc-1', /holds a PUBLIC KEY/);
  // Text around the block (what `openssl req -text` prints) is fine.
  assert.equal((await checkCsr(`Certificate Request:\n    Data: ...\n${csrPem}\n`, 'svc-1')).commonName, 'svc-1');
});

test('random damage to a CSR never escapes as anything but a 400', async () => {
  const der = fromPem((await webCsr('ec-p256', 'CN=svc-1')).csrPem);
  for (let i = 0; i < 400; i++) {
    const damaged = Buffer.from(der);
    for (let j = 0; j < 1 + (i % 4); j++) damaged[randomBytes(2).readUInt16BE() % damaged.length] = randomBytes(1)[0] ?? 0;
    const cut = i % 5 === 0 ? damaged.subarray(0, damaged.length - (i % 40)) : damaged;
    try {
      await checkCsr(toPem(cut, 'CERTIFICATE REQUEST'), 'svc-1');
    } catch (e) {
      assert.ok(isFhirkeepError(e) && e.status === 400, `damage ${i} gave ${String(e)}`);
    }
  }
});

test('the expected CN itself must be a usable CN (1 to 64 characters)', async () => {
  const { csrPem } = await webCsr('ec-p256', 'CN=svc-1');
  await rejects400(csrPem, '', /1 to 64 characters/);
  await rejects400(csrPem, 'x'.repeat(65), /1 to 64 characters/);
});
