/**
 * Data brokers over HTTP (docs/service-keys.md "Data brokers"): one broker serving two
 * organizations sees, through the same key, exactly what holders shared with the organization
 * its request names (`Authorization: Bearer <credential>; grp=<organization>`), and nothing of a
 * holder without it; every way of naming an organization it may not act for is a 401 without
 * data; the header's parameters parse as documented; the static key, the client certificate on
 * the mTLS listener and access tokens carry `grp` alike.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PUBLIC_LABEL } from '../src/access/filter/access-filter.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { institutionToken } from './support/institution.js';
import { certificateKey, httpsRequest, OPERATOR, type CertificateKey } from './support/mtls-client.js';

const PASSWORD = 'correct horse battery staple';
const NPI = 'urn:oid:2.16.840.1.113883.4.6';
let server: TestServer;
let mtlsBase: string;
let broker: { id: string; secret: string };
/** The broker's static key (`fhk_…`). */
let brokerKey: string;
let brokerCert: CertificateKey;
/** A subscription service's static key: a client that is not a broker. */
let feedKey: string;
let clinic: string;
let lab: string;
/** An organization with holders sharing with it, but no consent to the broker. */
let idle: string;
let team: string;
const accounts: Record<string, string> = {};
/** Observation ids by holder (and `carolPublic`). */
const ids: Record<string, string> = {};
const shares: Record<string, string> = {};
let clinicToBroker: string;

before(async () => {
  server = await startTestServer({ FHIRKEEP_MTLS_PORT: '0' });
  mtlsBase = server.fhirkeep.mtlsUrl() ?? assert.fail('FHIRKEEP_MTLS_PORT=0 binds an mTLS listener');
  const { auth, consents } = server.fhirkeep;
  const holders = { alice: 'pA', dave: 'pD', bob: 'pB', carol: 'pC', erin: 'pE' };
  for (const [name, patient] of Object.entries(holders)) {
    accounts[name] = (await auth.accounts.create({ email: `${name}@example.org`, password: PASSWORD, roles: ['patient'], patientId: patient })).id;
  }
  const seed = await institutionToken(server.fhirkeep);
  const write = async (method: string, path: string, body: object) => {
    const res = await fetch(`${server.fhirBase}/${path}`, { method, headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.ok, text);
    return (JSON.parse(text) as { id: string }).id;
  };
  const observation = (patient: string, labels: readonly string[] = []) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'weight' },
    subject: { reference: `Patient/${patient}` },
    ...(labels.length === 0 ? {} : { meta: { security: labels.map((l) => ({ system: l.slice(0, l.indexOf('|')), code: l.slice(l.indexOf('|') + 1) })) } }),
  });
  for (const [name, patient] of Object.entries(holders)) {
    await write('PUT', `Patient/${patient}`, { resourceType: 'Patient', id: patient });
    ids[name] = await write('POST', 'Observation', observation(patient));
  }
  ids['carolPublic'] = await write('POST', 'Observation', observation('pC', [PUBLIC_LABEL]));
  await write('PUT', 'Practitioner/dr1', { resourceType: 'Practitioner', id: 'dr1' });

  clinic = (await auth.accounts.createOrganization({ name: 'Clinic', identifier: { system: NPI, value: '1234567893' } })).id;
  lab = (await auth.accounts.createOrganization({ name: 'Lab' })).id;
  idle = (await auth.accounts.createOrganization({ name: 'Idle' })).id;
  team = (await auth.accounts.createTeam(clinic, 'Cardiology')).id;

  const registered = await auth.clients.register({ type: 'broker', name: 'Broker', scopes: ['system/*.rs'] });
  broker = { id: registered.client.id, secret: registered.secret ?? '' };
  brokerKey = (await auth.serviceKeys.create(broker.id, { type: 'static' }, OPERATOR)).secret ?? '';
  brokerCert = await certificateKey(server.fhirkeep, broker.id);
  const feed = (await auth.clients.register({ type: 'service', name: 'Feed', scopes: ['system/*.rs'] })).client.id;
  feedKey = (await auth.serviceKeys.create(feed, { type: 'static' }, OPERATOR)).secret ?? '';

  // alice and dave share with Clinic, bob with Lab, erin with Idle, carol with nobody.
  for (const [name, organizationId] of [['alice', clinic], ['dave', clinic], ['bob', lab], ['erin', idle]] as const) {
    shares[name] = (await consents.grant({ kind: 'organization', accountId: accounts[name] ?? '', organizationId })).id;
  }
  clinicToBroker = (await consents.grant({ kind: 'broker', organizationId: clinic, clientId: broker.id })).id;
  await consents.grant({ kind: 'broker', organizationId: lab, clientId: broker.id });
});
after(() => server.close());

interface Answer {
  readonly status: number;
  readonly json: any;
}

async function read(path: string, authorization: string): Promise<Answer> {
  const res = await fetch(`${server.fhirBase}/${path}`, { headers: { authorization } });
  return { status: res.status, json: await res.json() };
}
const idsOf = (answer: Answer) => (answer.json?.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
/** The Observation ids a credential finds, asserting the search succeeded. */
async function observations(authorization: string, base?: (path: string, authorization: string) => Promise<Answer>): Promise<string[]> {
  const answer = await (base ?? read)('Observation', authorization);
  assert.equal(answer.status, 200, `${authorization.slice(0, 80)}: ${JSON.stringify(answer.json)}`);
  return idsOf(answer);
}
const obs = (...names: string[]) => names.map((n) => ids[n] ?? n).sort();
const CLINIC_HOLDERS = () => obs('alice', 'dave');
const LAB_HOLDERS = () => obs('bob');

function assertRefused(answer: Answer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json)}`);
  assert.equal(answer.json?.resourceType, 'OperationOutcome', what);
  assert.equal(answer.json?.entry, undefined, `${what}: never data`);
}

/** A FHIR read on the mTLS listener with the broker's certificate. */
async function overMtls(path: string, authorization: string | undefined): Promise<Answer> {
  const answer = await httpsRequest(`${mtlsBase}/fhir/${path}`, { ca: brokerCert.caPem, identity: brokerCert, headers: authorization === undefined ? {} : { authorization } });
  return { status: answer.status, json: answer.json };
}

test('one broker key: acting for Clinic (by id or identifier) exactly Clinic’s holders, for Lab exactly Lab’s', async () => {
  const forClinic = await observations(`Bearer ${brokerKey}; grp=${clinic}`);
  assert.deepEqual(forClinic, CLINIC_HOLDERS(), 'alice and dave share with Clinic; not bob (Lab), carol (nobody), erin (Idle), nor the public pool');
  assert.deepEqual(await observations(`Bearer ${brokerKey}; grp=${NPI}|1234567893`), forClinic, 'the identifier names the same organization');
  const forLab = await observations(`Bearer ${brokerKey}; grp=${lab}`);
  assert.deepEqual(forLab, LAB_HOLDERS());
  assert.deepEqual(forClinic.filter((id) => forLab.includes(id)), [], 'the two organizations’ data never mix');

  assert.deepEqual(idsOf(await read('Patient', `Bearer ${brokerKey}; grp=${clinic}`)), ['pA', 'pD']);
  assert.equal((await read('Patient/pB', `Bearer ${brokerKey}; grp=${clinic}`)).status, 404, 'Lab’s holder reads as missing for Clinic');
  assert.equal((await read('Patient/pB', `Bearer ${brokerKey}; grp=${lab}`)).status, 200);
  assert.equal((await read(`Observation/${ids['alice'] ?? ''}`, `Bearer ${brokerKey}; grp=${lab}`)).status, 404, 'Clinic’s holder reads as missing for Lab');
});

test('the broker’s key alone reaches no holder: the public pool and directory data only', async () => {
  assert.deepEqual(await observations(`Bearer ${brokerKey}`), obs('carolPublic'));
  assert.deepEqual(idsOf(await read('Practitioner', `Bearer ${brokerKey}`)), ['dr1']);
  assert.deepEqual(idsOf(await read('Patient', `Bearer ${brokerKey}`)), []);
  assert.equal((await read('Patient/pA', `Bearer ${brokerKey}`)).status, 404);
  assert.equal((await read(`Observation/${ids['bob'] ?? ''}`, `Bearer ${brokerKey}`)).status, 404);
});

test('grp naming nothing the broker may act for: 401 OperationOutcome, never data', async () => {
  const refused = [
    ['an unknown id', randomUUID()],
    ['a team of Clinic', team],
    ['an organization without a consent to the broker', idle],
    ['an unknown identifier', `${NPI}|999`],
    ['another system with Clinic’s value', 'urn:example|1234567893'],
    ['the identifier without its system', '|1234567893'],
    ['the system without a value', `${NPI}|`],
    ['the organization’s name', 'Clinic'],
    ['SQL', `${clinic}' or '1'='1`],
    ['SQL in the identifier', `${NPI}|x' or 1=1--`],
    ['a LIKE pattern', '%'],
    ['a prefix pattern', `${clinic.slice(0, 8)}%`],
    ['a bar', '|'],
  ] as const;
  for (const [what, grp] of refused) {
    const answer = await read('Observation', `Bearer ${brokerKey}; grp=${grp}`);
    assertRefused(answer, 401, what);
    assert.match(String(answer.json.issue?.[0]?.diagnostics ?? ''), /organization/, what);
  }
});

test('a withdrawn consent holds at once: Clinic’s to the broker ends the broker’s access, a holder’s share removes her', async () => {
  const { consents } = server.fhirkeep;
  try {
    assert.deepEqual(await observations(`Bearer ${brokerKey}; grp=${clinic}`), CLINIC_HOLDERS(), 'cached scope, before the withdrawal');
    await consents.revoke(clinicToBroker);
    assertRefused(await read('Observation', `Bearer ${brokerKey}; grp=${clinic}`), 401, 'the static key, the very next request');
    assertRefused(await read('Observation', `Bearer ${brokerKey}; grp=${NPI}|1234567893`), 401, 'by the identifier');
    assertRefused(await overMtls('Observation', `Bearer client-certificate; grp=${clinic}`), 401, 'the certificate');
    assert.deepEqual(await observations(`Bearer ${brokerKey}; grp=${lab}`), LAB_HOLDERS(), 'Lab’s consent is its own');
    await consents.grant({ kind: 'broker', organizationId: clinic, clientId: broker.id });
    assert.deepEqual(await observations(`Bearer ${brokerKey}; grp=${clinic}`), CLINIC_HOLDERS(), 'granted again');

    await consents.revoke(shares['alice'] ?? '');
    assert.deepEqual(await observations(`Bearer ${brokerKey}; grp=${clinic}`), obs('dave'), 'alice stopped sharing with Clinic');
  } finally {
    shares['alice'] = (await consents.grant({ kind: 'organization', accountId: accounts['alice'] ?? '', organizationId: clinic })).id;
  }
  assert.deepEqual(await observations(`Bearer ${brokerKey}; grp=${clinic}`), CLINIC_HOLDERS());
});

test('the Authorization header’s parameters: trimmed, unknown ones and junk ignored; an empty, repeated or malformed grp is a 400', async () => {
  const k = brokerKey;
  const clinicOnes = [
    `Bearer ${k} ; grp = ${clinic} ; foo=bar ; junk`,
    `Bearer ${k};;;;grp=${clinic};;;;`,
    `Bearer ${k}; foo=bar; GRP=${clinic}`,
    `bearer ${k};grp=${clinic}`,
    `Bearer ${k}; grp=${NPI}|1234567893; v=2`,
    `Bearer ${k}; grp=${clinic}; grpx=${lab}; x-grp=${lab}`,
  ];
  for (const authorization of clinicOnes) assert.deepEqual(await observations(authorization), CLINIC_HOLDERS(), authorization);
  for (const authorization of [`Bearer ${k};`, `Bearer ${k}; junk; foo=bar`, `Bearer ${k}; grp`]) {
    assert.deepEqual(await observations(authorization), obs('carolPublic'), `${authorization}: no grp, the key alone`);
  }
  const malformed = [
    `Bearer ${k}; grp=`,
    `Bearer ${k}; grp=   `,
    `Bearer ${k}; grp=${clinic}; grp=${clinic}`,
    `Bearer ${k}; grp=${clinic}; grp=${lab}`,
    `Bearer ${k}; GRP=${lab}; grp=${clinic}`,
    `Bearer ; grp=${clinic}`,
    `Bearer ;grp=${clinic}`,
    `Bearer ${k}; grp=${'x'.repeat(300)}`,
    `Bearer ${k}; grp=a\tb`,
  ];
  for (const authorization of malformed) assertRefused(await read('Observation', authorization), 400, JSON.stringify(authorization));
});

test('grp from a client that is not a broker: 401', async () => {
  assert.equal((await read('Observation', `Bearer ${feedKey}`)).status, 200, 'the service’s key itself works');
  for (const grp of [clinic, lab, `${NPI}|1234567893`, randomUUID()]) {
    const answer = await read('Observation', `Bearer ${feedKey}; grp=${grp}`);
    assertRefused(answer, 401, grp);
    assert.match(String(answer.json.issue?.[0]?.diagnostics ?? ''), /broker/);
  }
});

test('the certificate form over mTLS: Bearer client-certificate; grp=<organization>', async () => {
  assert.deepEqual(await observations(`Bearer client-certificate; grp=${clinic}`, overMtls), CLINIC_HOLDERS());
  assert.deepEqual(await observations(`Bearer client-certificate; grp=${NPI}|1234567893`, overMtls), CLINIC_HOLDERS());
  assert.deepEqual(await observations(`Bearer client-certificate; grp=${lab}`, overMtls), LAB_HOLDERS());
  assert.deepEqual(await observations('Bearer client-certificate', overMtls), obs('carolPublic'), 'the certificate alone');
  assertRefused(await overMtls('Observation', `Bearer client-certificate; grp=${idle}`), 401, 'an organization without a consent to the broker');
  // Without the certificate the placeholder is nothing, grp or not.
  assertRefused(await read('Observation', `Bearer client-certificate; grp=${clinic}`), 401, 'on the main listener');
});

test('a broker’s access tokens carry grp the same way: from the secret flow, and bound to its certificate', async () => {
  const basic = `Basic ${Buffer.from(`${broker.id}:${broker.secret}`).toString('base64')}`;
  const res = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  assert.equal(res.status, 200);
  const token = ((await res.json()) as { access_token: string }).access_token;
  assert.deepEqual(await observations(`Bearer ${token}; grp=${clinic}`), CLINIC_HOLDERS());
  assert.deepEqual(await observations(`Bearer ${token}; grp=${lab}`), LAB_HOLDERS());
  assert.deepEqual(await observations(`Bearer ${token}`), obs('carolPublic'));
  assertRefused(await read('Observation', `Bearer ${token}; grp=${idle}`), 401, 'a token for an organization without a consent');

  const bound = await httpsRequest(`${mtlsBase}/oauth2/token`, {
    ca: brokerCert.caPem,
    identity: brokerCert,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: broker.id }).toString(),
  });
  assert.equal(bound.status, 200, bound.text);
  const boundToken = String(bound.json.access_token);
  assert.deepEqual(await observations(`Bearer ${boundToken}; grp=${clinic}`, overMtls), CLINIC_HOLDERS());
  assert.deepEqual(await observations(`Bearer ${boundToken}; grp=${lab}`, overMtls), LAB_HOLDERS());
  assertRefused(await read('Observation', `Bearer ${boundToken}; grp=${clinic}`), 401, 'the bound token without its certificate');
});
