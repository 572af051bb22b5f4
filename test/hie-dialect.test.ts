/**
 * The HIE login dialect over HTTP (docs/hie.md), driven with exactly the partners' header set:
 * `client_id` and `X-Auth-Token` on every call, form bodies for sign-in. Sign-in, token info,
 * sign-out, and FHIR reads and searches (with _include/_revinclude) held inside each user's
 * catchment; confidential encounters; and every credential in the wrong place refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { HIE_PASSWORD as PASSWORD, hieHeaders as org, hieSignIn, seedHieFixture, type HieOrganization } from './support/hie.js';

let server: TestServer;
/** The organizations' API credentials: the partners' `client_id` and `X-Auth-Token`. */
let clinic: HieOrganization;
let otherOrg: HieOrganization;
let seed: string;

before(async () => {
  server = await startTestServer();
  ({ clinic, otherOrg, seed } = await seedHieFixture(server));
});
after(() => server.close());

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // Each test reads the fields of the answer it expects.
  readonly body: any;
}
async function call(method: string, url: string, headers: Record<string, string>, body?: BodyInit): Promise<Answer> {
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}
const form = (fields: Record<string, string>) => new URLSearchParams(fields);
const sso = (path: string) => `${server.baseUrl}/api/1.0/sso/${path}`;

const signIn = (email: string, via = clinic) => hieSignIn(server.baseUrl, via, email);
/** A FHIR request as the partners send it: the user's token as X-Auth-Token, with the client_id that signed it in. */
const fhir = (path: string, token: string, clientId = clinic.clientId) => call('GET', `${server.fhirBase}/${path}`, { client_id: clientId, 'X-Auth-Token': token, accept: 'application/fhir+json' });
const ids = (bundle: { entry?: { resource: { resourceType: string; id: string }; search?: { mode: string } }[] }, mode = 'match') =>
  (bundle.entry ?? []).filter((e) => (e.search?.mode ?? 'match') === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
const NOT_AUTHENTICATED = { error: true, message: 'Not authenticated', code: 401 };

describe('sign-in', () => {
  test('the right password gives an access token; form bodies URL-encoded or multipart', async () => {
    await signIn('provider@example.org');
    const multipart = new FormData();
    multipart.set('email', 'provider@example.org');
    multipart.set('password', PASSWORD);
    const res = await call('POST', sso('signin'), org(clinic), multipart);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(typeof res.body.access_token, 'string');
  });

  test('a wrong password or an unknown email answers 404 with the compatible body', async () => {
    for (const email of ['provider@example.org', 'nobody@example.org']) {
      const res = await call('POST', sso('signin'), org(clinic), form({ email, password: 'not the password at all' }));
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, NOT_AUTHENTICATED);
    }
  });

  test('missing, wrong or revoked organization credentials are a 401 and issue no token', async () => {
    const body = () => form({ email: 'provider@example.org', password: PASSWORD });
    const cases: Record<string, string>[] = [
      {},
      { client_id: clinic.clientId },
      { 'X-Auth-Token': clinic.token },
      { client_id: clinic.clientId, 'X-Auth-Token': otherOrg.token },
      { client_id: 'nope', 'X-Auth-Token': clinic.token },
    ];
    for (const headers of cases) {
      const res = await call('POST', sso('signin'), headers, body());
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.error, true);
      assert.equal(res.body.code, 401);
      assert.equal(res.body.access_token, undefined);
    }
    // A user's access token is no organization's API token.
    const userToken = await signIn('provider@example.org');
    assert.equal((await call('POST', sso('signin'), { client_id: clinic.clientId, 'X-Auth-Token': userToken }, body())).status, 401);
    assert.equal((await call('GET', sso(`token/${userToken}`), { client_id: clinic.clientId, 'X-Auth-Token': userToken })).status, 401);
    const revoked = await server.fhirkeep.hie.clients.create((await server.fhirkeep.auth.accounts.createOrganization({ name: 'Closed clinic' })).id);
    const credentials = { clientId: revoked.client.id, token: revoked.token };
    const token = await signIn('provider@example.org', credentials);
    await server.fhirkeep.hie.clients.revoke(revoked.client.id);
    assert.equal((await call('POST', sso('signin'), org(credentials), body())).status, 401);
    assert.equal((await fhir('Patient/pIn', token, revoked.client.id)).status, 401, 'sessions it signed in end with it');
  });

  test('a body that is no sign-in form is a 400', async () => {
    for (const [type, body] of [
      ['application/json', JSON.stringify({ email: 'provider@example.org', password: PASSWORD })],
      ['application/x-www-form-urlencoded', 'email=provider%40example.org'],
      ['application/x-www-form-urlencoded', `email=a%40example.org&email=b%40example.org&password=x`],
    ] as const) {
      const res = await call('POST', sso('signin'), { ...org(clinic), 'content-type': type }, body);
      assert.equal(res.status, 400, body);
      assert.equal(res.body.error, true);
    }
  });

  test('a user not activated cannot sign in; activated, they can', async () => {
    const res = await call('POST', sso('signin'), org(clinic), form({ email: 'idle@example.org', password: PASSWORD }));
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, NOT_AUTHENTICATED);
    await server.fhirkeep.hie.accounts.setActivated('idle@example.org', true);
    try {
      await signIn('idle@example.org');
    } finally {
      await server.fhirkeep.hie.accounts.setActivated('idle@example.org', false);
    }
  });
});

describe('token info and sign-out', () => {
  test('token info returns the user, with groups and profiles', async () => {
    const token = await signIn('admin@example.org');
    const res = await call('GET', sso(`token/${token}`), org(clinic));
    assert.equal(res.status, 200);
    const account = await server.fhirkeep.auth.accounts.findByEmail('admin@example.org');
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'activated', 'activated_at', 'created_at', 'deleted_at', 'email', 'groups', 'id', 'is_active', 'last_login', 'name', 'profiles', 'updated_at'].sort());
    assert.equal(res.body.id, account?.id);
    assert.equal(res.body.name, 'admin');
    assert.equal(res.body.email, 'admin@example.org');
    assert.equal(res.body.is_active, true);
    assert.equal(res.body.activated, true);
    assert.equal(res.body.access_token, token);
    assert.equal(res.body.deleted_at, null);
    assert.deepEqual(res.body.groups, ['API Consumer', 'MCI Admin']);
    assert.deepEqual(res.body.profiles, [{ type: 'admin', id: '9', catchment: ['302618'] }]);
    for (const field of ['activated_at', 'last_login', 'created_at', 'updated_at']) assert.ok(!Number.isNaN(Date.parse(res.body[field])), field);
    assert.ok(Date.now() - Date.parse(res.body.last_login) < 60_000, 'the sign-in was recorded');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('an unknown token, an organization API token, or another organization asking: 401', async () => {
    const token = await signIn('provider@example.org');
    for (const [what, path, via] of [
      ['unknown', `token/${'x'.repeat(43)}`, clinic],
      ['malformed', 'token/abc', clinic],
      ["the organization's API token", `token/${clinic.token}`, clinic],
      ['another organization', `token/${token}`, otherOrg],
    ] as const) {
      const res = await call('GET', sso(path), org(via));
      assert.equal(res.status, 401, what);
      assert.equal(res.body.error, true, what);
      assert.equal(res.body.email, undefined, what);
    }
    assert.equal((await call('GET', sso(`token/${token}`), {})).status, 401, 'without the organization headers');
  });

  test('sign-out by another organization is refused and the session stays; by its own it ends everywhere', async () => {
    const token = await signIn('provider@example.org');
    const foreign = await call('POST', sso(`signout/${token}`), org(otherOrg));
    assert.equal(foreign.status, 401);
    assert.equal((await call('GET', sso(`token/${token}`), org(clinic))).status, 200, 'the session stays');
    assert.equal((await fhir('Patient/pIn', token)).status, 200);

    const own = await call('POST', sso(`signout/${token}`), org(clinic));
    assert.equal(own.status, 200);
    assert.equal((await call('GET', sso(`token/${token}`), org(clinic))).status, 401);
    const after = await fhir('Patient/pIn', token);
    assert.equal(after.status, 401);
    assert.equal(after.body.resourceType, 'OperationOutcome');
    assert.equal((await call('POST', sso(`signout/${token}`), org(clinic))).status, 401, 'an ended session cannot end again');
  });

  test('an expired session is refused', async () => {
    const token = await signIn('provider@example.org');
    await server.fhirkeep.database.sql`update hie_sessions set expires_at = now() - interval '1 second' where token_hash = sha256(${token}::bytea)`;
    assert.equal((await fhir('Patient/pIn', token)).status, 401);
    assert.equal((await call('GET', sso(`token/${token}`), org(clinic))).status, 401);
  });
});

describe('FHIR with an HIE user token', () => {
  test('a provider reads and searches only the patients of their catchment', async () => {
    const token = await signIn('provider@example.org');
    assert.equal((await fhir('Patient/pIn', token)).status, 200);
    assert.equal((await fhir('Patient/pDistrict', token)).status, 200, 'an address district that is an area code counts');
    assert.equal((await fhir('Patient/pNext', token)).status, 404, '302619… is outside 302618');
    assert.equal((await fhir('Observation/o-pNext', token)).status, 404);
    assert.deepEqual(ids((await fhir('Patient', token)).body), ['Patient/pDistrict', 'Patient/pIn']);
    assert.deepEqual(ids((await fhir('Observation', token)).body), ['Observation/o-pDistrict', 'Observation/o-pIn']);
  });

  test('_include and _revinclude stay inside the catchment', async () => {
    const token = await signIn('provider@example.org');
    const included = (await fhir('Observation?_include=Observation:subject', token)).body;
    assert.deepEqual(ids(included), ['Observation/o-pDistrict', 'Observation/o-pIn']);
    assert.deepEqual(ids(included, 'include'), ['Patient/pDistrict', 'Patient/pIn']);
    const rev = (await fhir('Patient?_revinclude=Observation:subject&_revinclude=Encounter:subject', token)).body;
    assert.deepEqual(ids(rev), ['Patient/pDistrict', 'Patient/pIn']);
    assert.deepEqual(ids(rev, 'include'), ['Encounter/e-pDistrict', 'Encounter/e-pIn', 'Observation/o-pDistrict', 'Observation/o-pIn'], 'the confidential encounter is not among them');
    // Naming a patient outside does not get around it.
    assert.deepEqual(ids((await fhir('Observation?subject=Patient/pNext&_include=Observation:subject', token)).body), []);
    assert.deepEqual(ids((await fhir('Encounter?_has:Observation:encounter:status=final&subject=pNext', token)).body), []);
  });

  test('confidential encounters are hidden from providers and facilities, visible to an admin profile', async () => {
    const provider = await signIn('provider@example.org');
    assert.equal((await fhir('Encounter/eSecret', provider)).status, 404);
    assert.deepEqual(ids((await fhir('Encounter?subject=Patient/pIn', provider)).body), ['Encounter/e-pIn']);
    // What was recorded in it goes with it.
    assert.equal((await fhir('Observation/oSecret', provider)).status, 404);
    assert.deepEqual(ids((await fhir('Observation?subject=Patient/pIn', provider)).body), ['Observation/o-pIn']);
    const everything = ((await fhir('Patient/pIn/$everything', provider)).body.entry as { resource: { resourceType: string; id: string } }[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    assert.ok(everything.includes('Observation/o-pIn') && !everything.some((k) => k.includes('Secret')), everything.join());
    const admin = await signIn('admin@example.org');
    assert.equal((await fhir('Encounter/eSecret', admin)).status, 200);
    assert.equal((await fhir('Observation/oSecret', admin)).status, 200);
    assert.deepEqual(ids((await fhir('Encounter?subject=Patient/pIn', admin)).body), ['Encounter/e-pIn', 'Encounter/eSecret']);
    const facility = await signIn('facility@example.org');
    assert.deepEqual(ids((await fhir('Patient', facility)).body), ['Patient/pNext']);
  });

  test('a patient profile sees its own record only, its confidential encounters included', async () => {
    const token = await signIn('patient@example.org');
    assert.deepEqual(ids((await fhir('Patient', token)).body), ['Patient/pOwn']);
    assert.deepEqual(ids((await fhir('Encounter', token)).body), ['Encounter/e-pOwn', 'Encounter/eOwnSecret']);
    assert.equal((await fhir('Patient/pIn', token)).status, 404);
  });

  test('a changed catchment applies from the next request', async () => {
    const token = await signIn('facility@example.org');
    assert.deepEqual(ids((await fhir('Patient', token)).body), ['Patient/pNext']);
    await server.fhirkeep.hie.accounts.putProfile('facility@example.org', { type: 'facility', id: '10000069', catchments: ['302618'] });
    try {
      assert.deepEqual(ids((await fhir('Patient', token)).body), ['Patient/pDistrict', 'Patient/pIn']);
    } finally {
      await server.fhirkeep.hie.accounts.putProfile('facility@example.org', { type: 'facility', id: '10000069', catchments: ['302619'] });
    }
  });

  test('a disabled or deactivated user is refused at once', async () => {
    await server.fhirkeep.auth.accounts.create({ email: 'leaving@example.org', password: PASSWORD, roles: ['practitioner'], practitionerId: 'dr1' });
    await server.fhirkeep.hie.accounts.putProfile('leaving@example.org', { type: 'provider', id: '7', catchments: ['30'] });
    const token = await signIn('leaving@example.org');
    assert.equal((await fhir('Patient/pIn', token)).status, 200);
    await server.fhirkeep.hie.accounts.setActivated('leaving@example.org', false);
    const deactivated = await fhir('Patient/pIn', token);
    assert.equal(deactivated.status, 401);
    assert.match(deactivated.body.issue[0].diagnostics, /not activated/);
    await server.fhirkeep.hie.accounts.setActivated('leaving@example.org', true);
    assert.equal((await fhir('Patient/pIn', token)).status, 200);
    const { id } = (await server.fhirkeep.auth.accounts.findByEmail('leaving@example.org')) ?? { id: '' };
    await server.fhirkeep.auth.accounts.disable(id);
    const disabled = await fhir('Patient/pIn', token);
    assert.equal(disabled.status, 401);
    assert.match(disabled.body.issue[0].diagnostics, /disabled/);
    assert.equal((await call('GET', sso(`token/${token}`), org(clinic))).status, 401);
  });

  test('HIE users read; they write nothing', async () => {
    const token = await signIn('admin@example.org');
    const res = await call('POST', `${server.fhirBase}/Observation`, { client_id: clinic.clientId, 'X-Auth-Token': token, 'content-type': 'application/fhir+json' }, JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pIn' } }));
    assert.equal(res.status, 403);
  });
});

describe('credentials in the wrong place', () => {
  test('an X-Auth-Token without client_id, with another client_id, or an organization API token as a user token: 401', async () => {
    const token = await signIn('provider@example.org');
    const cases: [string, Record<string, string>][] = [
      ['no client_id', { 'X-Auth-Token': token }],
      ["another organization's client_id", { client_id: otherOrg.clientId, 'X-Auth-Token': token }],
      ["the organization's API token", { client_id: clinic.clientId, 'X-Auth-Token': clinic.token }],
      ['garbage', { client_id: clinic.clientId, 'X-Auth-Token': 'not a token; at all' }],
      ['an oversized client_id', { client_id: 'c'.repeat(5000), 'X-Auth-Token': token }],
    ];
    for (const [what, headers] of cases) {
      const res = await call('GET', `${server.fhirBase}/Patient/pIn`, headers);
      assert.equal(res.status, 401, what);
      assert.equal(res.body.resourceType, 'OperationOutcome', what);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="fhirkeep"/, what);
      assert.equal(res.body.name, undefined, what);
    }
  });

  test("a Fhirkeep OAuth token as X-Auth-Token, and an HIE token as Bearer: 401", async () => {
    const jwt = await fhir('Patient/pIn', seed);
    assert.equal(jwt.status, 401, 'a JWT is no HIE token');
    const token = await signIn('provider@example.org');
    const bearer = await call('GET', `${server.fhirBase}/Patient/pIn`, { authorization: `Bearer ${token}` });
    assert.equal(bearer.status, 401, 'an HIE token is no OAuth token');
    const both = await call('GET', `${server.fhirBase}/Patient/pIn`, { authorization: `Bearer ${token}`, client_id: clinic.clientId, 'X-Auth-Token': token });
    assert.equal(both.status, 401, 'with Authorization present, the Bearer token is the credential');
  });
});
