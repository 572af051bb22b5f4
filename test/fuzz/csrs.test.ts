import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { test } from 'node:test';
import { serverForThisFile } from '../support/fhirkeep-server.js';
import { httpClient, type HttpResult } from '../support/http.js';
import { derCsr, fromPem, toPem, webCsr } from '../support/certificate-requests.js';
import { assertFhirAnswer, brief, fuzzRuns, fuzzServer, hostileJson, hostileString } from '../support/fuzz.js';
import { portalSignIn } from '../support/sign-in.js';

/**
 * Certificate signing requests sent by a signed-in developer to `POST /api/keys/:key_id/certificate`
 * (docs/service-keys.md): real CSRs of several key kinds and subjects, their PEM and DER mangled.
 * Never a 5xx; a refusal is an OperationOutcome and issued nothing (no `key_certificates` row);
 * an accepted CSR gets a certificate the CA issued, naming the key's CN.
 */
const THIS_FILE = 'test/fuzz/csrs.test.ts';
const file = serverForThisFile();

const PASSWORD = 'a long fuzzing password';
let cookie: string;
let ca: X509Certificate;
/** The key whose certificate is asked for, mostly; keys that have none to give; a key id nobody has. */
const keys = { certificate: '', otherCertificate: '', static: '', revoked: '', unknown: '00000000000000000000' };
let keyCn: string;
/** Real CSRs: for the key's CN with keys it accepts and keys it refuses, other CNs, other PEM blocks. */
let bases: string[];

const api = (method: string, path: string, raw?: string): Promise<HttpResult> =>
  httpClient(file.server.baseUrl)(method, path, { ...(raw === undefined ? {} : { raw }), headers: { cookie, accept: 'application/json', 'content-type': 'application/json' } });

async function setup(): Promise<void> {
  const { accounts, clients } = file.server.fhirkeep.auth;
  const dev = await accounts.create({ email: 'dev@example.org', password: PASSWORD, roles: ['developer'] });
  const serviceId = (await clients.register({ type: 'service', name: 'Lab feed', scopes: ['system/Observation.rs'], ownerAccount: dev.id })).client.id;
  cookie = await portalSignIn(file.server.baseUrl, { email: 'dev@example.org', password: PASSWORD });
  const makeKey = async (type: string) => {
    const made = await api('POST', `/api/clients/${serviceId}/keys`, JSON.stringify({ type }));
    assert.equal(made.status, 201, made.text);
    return made.json as { key_id: string; certificate_cn?: string };
  };
  const key = await makeKey('certificate');
  keys.certificate = key.key_id;
  keyCn = key.certificate_cn ?? '';
  keys.otherCertificate = (await makeKey('certificate')).key_id;
  keys.static = (await makeKey('static')).key_id;
  keys.revoked = (await makeKey('certificate')).key_id;
  assert.equal((await api('DELETE', `/api/keys/${keys.revoked}`)).status, 200);
  ca = new X509Certificate((await api('GET', '/api/certificate-authority')).json.certificate as string);

  const cn = `CN=${keyCn}`;
  const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;
  bases = [
    (await webCsr('ec-p256', cn)).csrPem,
    (await webCsr('ec-p384', cn)).csrPem,
    (await webCsr('rsa-2048', cn)).csrPem,
    derCsr(ec('P-521'), [keyCn]),
    (await webCsr('rsa-1024', cn)).csrPem,
    (await webCsr('ed25519', cn)).csrPem,
    derCsr(ec('secp256k1'), [keyCn]),
    derCsr(ec('P-256'), [keyCn, keyCn]),
    derCsr(ec('P-256'), [keyCn, 'someone-else']),
    derCsr(ec('P-256'), []),
    derCsr(ec('P-256'), ['x'.repeat(65)]),
    (await webCsr('ec-p256', 'CN=someone-else')).csrPem,
    (await webCsr('ec-p256', `CN=${keyCn}, O=Example, OU=${'u'.repeat(300)}`)).csrPem,
    ca.toString(),
    ec('P-256').export({ type: 'pkcs8', format: 'pem' }).toString(),
  ];
}

const LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST', 'CERTIFICATE', 'PRIVATE KEY', 'EC PRIVATE KEY', 'X509 CRL', 'certificate request', 'CERTIFICATE  REQUEST', ''];

/** What can happen to a PEM on its way: its DER or base64 damaged, its armour wrong, other text around or instead of it. */
type Mangle = (pem: string) => string;
const mangle: fc.Arbitrary<Mangle> = fc.oneof(
  { weight: 3, arbitrary: fc.constant((pem: string) => pem) },
  // A byte of the DER changed, the DER cut or lengthened: still base64, no longer the signed request.
  { weight: 3, arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, xor]): Mangle => (pem) => { const der = fromPem(pem); const i = at % der.length; der[i] = (der[i] ?? 0) ^ xor; return toPem(der, 'CERTIFICATE REQUEST'); }) },
  { weight: 1, arbitrary: fc.nat().map((at): Mangle => (pem) => { const der = fromPem(pem); return toPem(der.subarray(0, at % der.length), 'CERTIFICATE REQUEST'); }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((extra): Mangle => (pem) => toPem(Buffer.concat([fromPem(pem), extra]), 'CERTIFICATE REQUEST')) },
  // The text itself: a character flipped, cut short, something inserted.
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('A', '/', '+', '=', '-', ' ', '\n', '*', 'é')).map(([at, c]): Mangle => (pem) => { const i = at % pem.length; return pem.slice(0, i) + c + pem.slice(i + 1); }) },
  { weight: 1, arbitrary: fc.nat().map((at): Mangle => (pem) => pem.slice(0, at % (pem.length + 1))) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), hostileString).map(([at, s]): Mangle => (pem) => { const i = at % pem.length; return pem.slice(0, i) + s + pem.slice(i); }) },
  // The armour: another label, an END that does not match, none at all, line endings, two blocks.
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...LABELS), fc.constantFrom(...LABELS)).map(([begin, end]): Mangle => (pem) => pem.replace(/BEGIN [A-Z ]+-----/, `BEGIN ${begin}-----`).replace(/END [A-Z ]+-----/, `END ${end}-----`)) },
  { weight: 1, arbitrary: fc.constantFrom<Mangle>((pem) => fromPem(pem).toString('base64'), (pem) => pem.replace(/\n/g, '\r\n'), (pem) => pem.replace(/\n/g, ''), (pem) => `  ${pem.replace(/\n/g, '\n  ')}`, (pem) => pem + pem, (pem) => `subject=CN=x\n${pem}trailing text`) },
  // Not PEM at all: the DER as text, far too much, nothing.
  { weight: 1, arbitrary: fc.constantFrom<Mangle>((pem) => fromPem(pem).toString('latin1'), (pem) => pem.repeat(12), (pem) => pem.replace(/\n-----END/, `${'A'.repeat(70_000)}\n-----END`), () => '', () => ' \n\t ') },
);

const csrCase = fc.record({
  base: fc.nat(),
  mangle,
  key: fc.oneof({ weight: 8, arbitrary: fc.constant('certificate' as const) }, { weight: 1, arbitrary: fc.constantFrom('otherCertificate' as const, 'static' as const, 'revoked' as const, 'unknown' as const) }),
  // Now and then the body around the CSR is wrong: the CSR of another JSON type, a member the API does not know.
  body: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.record({ csr: hostileJson, extra: hostileJson }, { requiredKeys: [] }) }),
});

test('CSRs mangled in every way a client could: below 500, refusals are OperationOutcomes that issued nothing, a certificate chains to the CA with the key\'s CN', async () => {
  await setup();
  await fuzzServer(
    file.server,
    { name: 'csrs', file: THIS_FILE, runs: fuzzRuns(100) },
    csrCase,
    async (c, send) => {
      const csr = c.mangle(bases[c.base % bases.length] ?? '');
      const body = JSON.stringify(c.body === undefined ? { csr } : { csr, ...c.body });
      const what = `key ${c.key}, base ${c.base % bases.length}, body ${body}`;
      const res = await send(() => api('POST', `/api/keys/${keys[c.key]}/certificate`, body), what);
      assertFhirAnswer(res, what);
      if (res.status !== 200) return;
      const certificate = new X509Certificate(res.json.certificate as string);
      assert.ok(certificate.checkIssued(ca) && certificate.verify(ca.publicKey), `the certificate does not chain to the CA, for ${brief(what)}`);
      assert.equal(certificate.subject, `CN=${keyCn}`, `the certificate names ${certificate.subject}, for ${brief(what)}`);
      assert.equal(c.key, 'certificate', `a certificate for the ${c.key} key`);
    },
  );
});
