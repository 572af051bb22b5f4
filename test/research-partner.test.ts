/**
 * Research partners over HTTP (docs/research.md), driven exactly as the partner documentation
 * shows: a token from `POST /msk-apim/external/msk-oidc/oauth2/token?client_id=…&client_secret=…
 * &grant_type=client_credentials&scope=full`, then FHIR requests that each name their study
 * (`?researchstudy=<id or system|value>`). Inside the study the partner sees the enrolled subjects
 * only — for reads, searches, includes, chains, `_has`, `$everything` and paging — and a subject
 * who withdraws, or a grant revoked, holds on the next request. Every bad input is answered
 * without data: 400 for a malformed request, 403 for a study it may not query, the same for an
 * unknown one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KeyActor } from '../src/auth/keys/key-service.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { HEART, partnerToken as tokenOf, researchConsent as consent, researchSubject as subject, seedResearchFixture, TRIALS, type Partner, type ResearchFixture } from './support/research.js';

const OPERATOR: KeyActor = { accountId: undefined, admin: true };
let server: TestServer;
/** The heart study's partner, granted it (by its identifier), and another partner, granted the lung study only. */
let partner: ResearchFixture['partner'];
let lungPartner: Partner;
let observations: ResearchFixture['observations'];
let seedWrite: ResearchFixture['seedWrite'];
/** An access token of the heart partner, as the token endpoint gave it. */
let token: string;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: any;
}

async function call(method: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const res = await fetch(url, { method, ...init });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

/** The token request as the partner documentation shows it (test/support/research.ts). */
const partnerToken = (who: Partner, scope?: string, path?: string) => tokenOf(server.baseUrl, who, scope, path);

before(async () => {
  server = await startTestServer();
  ({ partner, lungPartner, observations, seedWrite } = await seedResearchFixture(server));
  token = (await partnerToken(partner)).json.access_token as string;
});
after(() => server.close());

/** A FHIR request of the heart partner (or with `authorization`), in the study `study` names (null: no researchstudy). */
function fhir(path: string, study: string | null = 'heart', authorization = `Bearer ${token}`): Promise<Answer> {
  const url = new URL(`${server.fhirBase}/${path}`);
  if (study !== null) url.searchParams.append('researchstudy', study);
  return call('GET', url.toString(), { headers: { authorization } });
}
const idsOf = (answer: Answer, mode = 'match') =>
  (answer.json?.entry ?? []).filter((e: any) => e.search?.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
const obs = (...patients: string[]) => patients.map((p) => `Observation/${observations[p] ?? ''}`).sort();
function assertRefused(answer: Answer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json)}`);
  assert.equal(answer.json?.resourceType, 'OperationOutcome', what);
}

test('the token, as the partner documentation asks for it: query parameters, scope=full, consented_on, one hour', async () => {
  const answer = await partnerToken(partner);
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.deepEqual(Object.keys(answer.json).sort(), ['access_token', 'consented_on', 'expires_in', 'scope', 'token_type']);
  assert.equal(answer.json.token_type, 'Bearer');
  assert.equal(answer.json.scope, 'full');
  assert.equal(answer.json.expires_in, 3600);
  assert.equal(answer.json.consented_on, Math.floor(partner.signedAt.getTime() / 1000), 'epoch seconds of the data-use agreement');
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  const claims = JSON.parse(Buffer.from(String(answer.json.access_token).split('.')[1] ?? '', 'base64url').toString()) as { iat: number; exp: number; scope: string; client_id: string };
  assert.equal(claims.exp - claims.iat, 3600, 'the token dies an hour after it is issued');
  assert.equal(claims.scope, 'system/*.rs', 'full means reading and searching');
  assert.equal(claims.client_id, partner.id);
});

test('the same parameters as a form body, at the documented path and at /oauth2/token; never in both places', async () => {
  const form = new URLSearchParams({ client_id: partner.id, client_secret: partner.secret, grant_type: 'client_credentials', scope: 'full' }).toString();
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  for (const path of ['/msk-apim/external/msk-oidc/oauth2/token', '/oauth2/token']) {
    const answer = await call('POST', `${server.baseUrl}${path}`, { headers, body: form });
    assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.scope, 'full');
    assert.equal((await partnerToken(partner, 'full', path)).status, 200, `${path} with query parameters`);
  }
  const both = await call('POST', `${server.baseUrl}/oauth2/token?grant_type=client_credentials`, { headers, body: form });
  assert.equal(both.status, 400);
  assert.equal(both.json.error, 'invalid_request');
  const twice = await call('POST', `${server.baseUrl}/oauth2/token?${form}&scope=full`);
  assert.equal(twice.json.error, 'invalid_request', 'a parameter twice (RFC 6749 §3.2)');
});

test('any scope but full is invalid_scope; a wrong secret is invalid_client; other clients keep their own scopes', async () => {
  for (const scope of ['system/*.rs', 'full openid', 'FULL', 'read']) {
    const answer = await partnerToken(partner, scope);
    assert.equal(answer.status, 400, scope);
    assert.equal(answer.json.error, 'invalid_scope', scope);
  }
  const none = await call('POST', `${server.baseUrl}/oauth2/token?${new URLSearchParams({ client_id: partner.id, client_secret: partner.secret, grant_type: 'client_credentials' }).toString()}`);
  assert.equal(none.json.error, 'invalid_scope', 'scope is required in this dialect');
  const wrong = await partnerToken({ id: partner.id, secret: `${partner.secret}x` });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error, 'invalid_client');
  assert.equal(wrong.json.access_token, undefined);

  const service = await server.fhirkeep.auth.clients.register({ type: 'service', name: 'Feed', scopes: ['system/*.rs'] });
  // Other clients send their parameters in the body (RFC 6749 §3.2): a secret in a URL ends up in proxies' logs.
  const serviceForm = (scope: string) =>
    call('POST', `${server.baseUrl}/oauth2/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: service.client.id, client_secret: service.secret ?? '', grant_type: 'client_credentials', scope }).toString(),
    });
  const inQuery = await partnerToken({ id: service.client.id, secret: service.secret ?? '' }, 'system/Observation.rs', '/oauth2/token');
  assert.equal(inQuery.status, 400);
  assert.equal(inQuery.json.error, 'invalid_request', 'only research partners may send the query string');
  assert.equal(inQuery.json.access_token, undefined);
  const refreshInQuery = await call('POST', `${server.baseUrl}/oauth2/token?grant_type=refresh_token&refresh_token=fhkr_x.y`);
  assert.equal(refreshInQuery.json.error, 'invalid_request', 'no grant but a partner’s client_credentials in a URL');
  const asService = await serviceForm('full');
  assert.equal(asService.json.error, 'invalid_scope', 'full is not a SMART scope');
  const own = await serviceForm('system/Observation.rs');
  assert.equal(own.status, 200);
  assert.equal(own.json.scope, 'system/Observation.rs');
  assert.equal(own.json.consented_on, undefined);
  assert.equal(own.json.expires_in, 900);
});

test('every FHIR request names its study: none is a 400; repeated or empty too; /metadata needs none', async () => {
  assertRefused(await fhir('Patient', null), 400, 'no researchstudy');
  assertRefused(await fhir('Patient/pA', null), 400, 'a read without researchstudy');
  const twice = await call('GET', `${server.fhirBase}/Patient?researchstudy=heart&researchstudy=heart`, { headers: { authorization: `Bearer ${token}` } });
  assertRefused(twice, 400, 'repeated, even with the same value');
  assertRefused(await fhir('Patient', ''), 400, 'empty');
  const metadata = await call('GET', `${server.fhirBase}/metadata`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(metadata.status, 200);
  assert.equal(metadata.json.resourceType, 'CapabilityStatement');
});

test('a study the partner is not authorized for and one that does not exist get the same 403; injection strings too, never a 500', async () => {
  const ungranted = await fhir('Patient', 'lung');
  const unknown = await fhir('Patient', 'no-such-study');
  assertRefused(ungranted, 403, 'granted to another partner only');
  assertRefused(unknown, 403, 'unknown');
  assert.deepEqual(ungranted.json, unknown.json, 'no existence leak');
  assertRefused(await fhir('Patient', `${TRIALS}|NCT99999999`), 403, 'an unknown identifier');
  for (const hostile of ["heart' or '1'='1", "heart'; drop table study_grants; --", 'heart\u0000', `x|y' union select id from clients --`, '%', '../heart', 'h'.repeat(5000), '|', 'heart|', '\u202eheart']) {
    const answer = await fhir('Patient', hostile);
    assertRefused(answer, 403, JSON.stringify(hostile.slice(0, 40)));
    assert.equal(answer.json.entry, undefined);
  }
  assert.equal((await fhir('Patient')).status, 200, 'the study grants are intact');
});

test('inside the study: exactly the enrolled subjects, for reads and searches, by the study’s id or identifier', async () => {
  for (const study of ['heart', HEART]) {
    const patients = await fhir('Patient', study);
    assert.equal(patients.status, 200, JSON.stringify(patients.json));
    assert.deepEqual(idsOf(patients), ['Patient/pA', 'Patient/pB'], `${study}: pA on study, pB through an active Consent; not pC (withdrawn) nor pD (another study)`);
  }
  assert.deepEqual(idsOf(await fhir('Observation')), obs('pA', 'pB'));
  assert.equal((await fhir('Patient/pA')).status, 200);
  assert.equal((await fhir('Patient/pC')).status, 404, 'a withdrawn subject reads as missing');
  assert.equal((await fhir(`Observation/${observations['pD'] ?? ''}`)).status, 404, 'another study’s subject reads as missing');
  assert.deepEqual(idsOf(await fhir('ResearchSubject')), ['ResearchSubject/sA', 'ResearchSubject/sB']);
  assert.deepEqual(idsOf(await fhir('Practitioner')), ['Practitioner/dr1'], 'directory data');

  const lungToken = (await partnerToken(lungPartner)).json.access_token as string;
  assert.deepEqual(idsOf(await fhir('Patient', 'lung', `Bearer ${lungToken}`)), ['Patient/pD'], 'the other partner, in its own study');
  assertRefused(await fhir('Patient', 'heart', `Bearer ${lungToken}`), 403, 'and not in the heart study');
});

test('a partner granted two studies sees one per request, with the same token', async () => {
  await server.fhirkeep.studies.grant(partner.id, 'lung');
  try {
    assert.deepEqual(idsOf(await fhir('Patient', 'heart')), ['Patient/pA', 'Patient/pB']);
    assert.deepEqual(idsOf(await fhir('Patient', 'lung')), ['Patient/pD']);
    assert.deepEqual(idsOf(await fhir('Patient', HEART)), ['Patient/pA', 'Patient/pB'], 'and back');
    assertRefused(await fhir('Patient', null), 400, 'a request naming none is still refused after the token’s scopes are known');
  } finally {
    await server.fhirkeep.studies.revoke(partner.id, 'lung');
  }
  assertRefused(await fhir('Patient', 'lung'), 403, 'revoked again');
});

test('includes, chains, _has and $everything stay inside the study', async () => {
  const included = await fhir('Observation?_include=Observation:subject');
  assert.deepEqual(idsOf(included), obs('pA', 'pB'));
  assert.deepEqual(idsOf(included, 'include'), ['Patient/pA', 'Patient/pB']);
  const revincluded = await fhir('Patient?_revinclude=Observation:subject&_revinclude=ResearchSubject:individual');
  assert.deepEqual(idsOf(revincluded, 'include'), [...obs('pA', 'pB'), 'ResearchSubject/sA', 'ResearchSubject/sB'].sort());
  assert.deepEqual(idsOf(await fhir('Observation?subject:Patient.family=Alpha')), obs('pA'));
  assert.deepEqual(idsOf(await fhir('Observation?subject:Patient.family=Gamma')), [], 'a chain through a withdrawn subject finds nothing');
  assert.deepEqual(idsOf(await fhir('Observation?subject:Patient.general-practitioner:Practitioner.family=Heart')), obs('pA', 'pB'), 'a two-link chain');
  assert.deepEqual(idsOf(await fhir('Patient?_has:Observation:subject:code=29463-7')), ['Patient/pA', 'Patient/pB']);
  assert.deepEqual(idsOf(await fhir('Patient?_has:ResearchSubject:individual:status=withdrawn')), [], 'the withdrawn subject’s ResearchSubject is outside the study too');
  const everything = await fhir('Patient/pA/$everything');
  assert.equal(everything.status, 200);
  assert.ok(idsOf(everything).includes(`Observation/${observations['pA'] ?? ''}`), JSON.stringify(idsOf(everything)));
  assert.equal((await fhir('Patient/pC/$everything')).status, 404);
});

test('paging links carry researchstudy, so following them works', async () => {
  const first = await fhir('Observation?_count=1', HEART);
  const next = (first.json.link as { relation: string; url: string }[]).find((l) => l.relation === 'next')?.url;
  assert.ok(next !== undefined, JSON.stringify(first.json.link));
  assert.equal(new URL(next).searchParams.getAll('researchstudy').join(), HEART);
  const second = await call('GET', next, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(second.status, 200, JSON.stringify(second.json));
  assert.deepEqual([...idsOf(first), ...idsOf(second)].sort(), obs('pA', 'pB'));
  const history = await fhir('Observation/_history');
  assert.equal(new URL(history.json.link[0].url).searchParams.get('researchstudy'), 'heart');
});

test('a subject who withdraws, or whose Consent stops being active, is gone from the next query', async () => {
  await seedWrite('PUT', 'ResearchSubject/sA', subject('sA', 'pA', 'heart', 'withdrawn'));
  try {
    assert.deepEqual(idsOf(await fhir('Patient')), ['Patient/pB']);
    assert.equal((await fhir(`Observation/${observations['pA'] ?? ''}`)).status, 404);
  } finally {
    await seedWrite('PUT', 'ResearchSubject/sA', subject('sA', 'pA', 'heart', 'on-study'));
  }
  await seedWrite('PUT', 'Consent/kB', consent('kB', 'pB', 'inactive'));
  try {
    assert.deepEqual(idsOf(await fhir('Observation')), obs('pA'));
  } finally {
    await seedWrite('PUT', 'Consent/kB', consent('kB', 'pB', 'active'));
  }
  assert.deepEqual(idsOf(await fhir('Patient')), ['Patient/pA', 'Patient/pB'], 'and back when they return');
});

test('revoking the study grant refuses the next request (403); granting it again restores it', async () => {
  await server.fhirkeep.studies.revoke(partner.id, 'heart');
  try {
    assertRefused(await fhir('Patient'), 403, 'revoked');
    assertRefused(await fhir('Patient', HEART), 403, 'by its identifier too');
  } finally {
    await server.fhirkeep.studies.grant(partner.id, 'heart');
  }
  assert.deepEqual(idsOf(await fhir('Patient')), ['Patient/pA', 'Patient/pB']);
});

test('credentials of the wrong dialect: another client’s key or a user’s token with researchstudy, grp from a partner, the token as X-Auth-Token', async () => {
  const service = (await server.fhirkeep.auth.clients.register({ type: 'service', name: 'Feed', scopes: ['system/*.rs'] })).client.id;
  const serviceKey = (await server.fhirkeep.auth.serviceKeys.create(service, { type: 'static' }, OPERATOR)).secret ?? '';
  assertRefused(await fhir('Patient', 'heart', `Bearer ${serviceKey}`), 400, 'a service’s static key naming a study');
  const app = (await server.fhirkeep.auth.clients.register({ type: 'smart', name: 'App', redirectUris: ['https://app.example/cb'], scopes: ['user/*.rs'] })).client.id;
  const account = (await server.fhirkeep.auth.accounts.create({ email: 'dr@example.org', password: 'correct horse battery staple', roles: ['practitioner'], practitionerId: 'dr1' })).id;
  const userToken = (await server.fhirkeep.auth.accessTokens.issue({ sub: account, client_id: app, account, scope: 'user/*.rs', gid: crypto.randomUUID() })).token;
  assertRefused(await fhir('Patient', 'heart', `Bearer ${userToken}`), 400, 'a SMART user token naming a study');
  assertRefused(await fhir('Patient', 'heart', `Bearer ${token}; grp=some-organization`), 401, 'a partner acting for an organization');
  const asXAuth = await call('GET', `${server.fhirBase}/Patient?researchstudy=heart`, { headers: { 'x-auth-token': token } });
  assertRefused(asXAuth, 401, 'the partner token in another dialect’s header is no credential here');

  // A partner's own static key speaks the dialect as its tokens do; another partner's key stays in its own study.
  const partnerKey = (await server.fhirkeep.auth.serviceKeys.create(partner.id, { type: 'static' }, OPERATOR)).secret ?? '';
  assertRefused(await fhir('Patient', null, `Bearer ${partnerKey}`), 400, 'the key without a study');
  assert.deepEqual(idsOf(await fhir('Patient', HEART, `Bearer ${partnerKey}`)), ['Patient/pA', 'Patient/pB'], 'the key in its study');
  const lungKey = (await server.fhirkeep.auth.serviceKeys.create(lungPartner.id, { type: 'static' }, OPERATOR)).secret ?? '';
  assertRefused(await fhir('Patient', 'heart', `Bearer ${lungKey}`), 403, 'another partner’s key in a study it was not granted');
});

test('full reads and searches, nothing more: writes are refused', async () => {
  const write = await call('POST', `${server.fhirBase}/Observation?researchstudy=heart`, {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pA' } }),
  });
  assertRefused(write, 403, 'a write with a read-only token');
});
