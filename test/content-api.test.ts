import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { httpClient, type HttpClient, type SendOptions } from './support/http.js';

// Auto-register on, and the FHIR API open, so records can be written without a token here.
let server: TestServer;
let http: HttpClient;
let fhir: HttpClient;
let adminCookie: string;
let patientCookie: string;

before(async () => {
  // One start for accounts and sessions too: the API authenticates with the portal's session cookie.
  server = await startTestServer({ FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_CONTENT_AUTO_REGISTER: '1' });
  http = httpClient(server.baseUrl);
  fhir = httpClient(server.fhirBase);
  const { accounts, sessions } = server.fhirkeep.auth;
  const cookieOf = async (email: string, roles: string[]) => {
    const account = await accounts.create({ email, roles, password: 'correct horse battery' });
    return (await sessions.start(account.id, undefined)).split(';')[0] ?? '';
  };
  adminCookie = await cookieOf('taxonomist@example.org', ['admin']);
  patientCookie = await cookieOf('dev@example.org', ['developer']);
});
after(() => server.close());

const call = (method: string, path: string, cookie: string | undefined, options: SendOptions = {}) =>
  http(method, path, { ...options, headers: { accept: 'application/json', 'content-type': 'application/json', ...(cookie === undefined ? {} : { cookie }), ...options.headers } });
const admin = (method: string, path: string, body?: unknown) => call(method, path, adminCookie, body === undefined ? {} : { body });

test('without a session: 401; a signed-in non-admin reads and searches but cannot change anything (403)', async () => {
  for (const [method, path] of [['GET', '/api/content-types'], ['GET', '/api/groups'], ['POST', '/api/content-types'], ['DELETE', '/api/content-types/body/weight']] as const) {
    const r = await call(method, path, undefined);
    assert.deepEqual([r.status, r.json?.issue?.[0]?.code], [401, 'login'], `${method} ${path}`);
  }
  const search = await call('GET', '/api/content-types?q=body%20weight', patientCookie);
  assert.equal(search.status, 200, search.text);
  assert.equal(search.json.contentTypes[0].name, 'body/weight');
  assert.deepEqual(search.json.contentTypes[0].codes.find((c: { code: string }) => c.code === '29463-7'), { system: 'http://loinc.org', code: '29463-7', display: 'Body weight' });
  assert.equal((await call('GET', '/api/content-types/body/weight', patientCookie)).json.label, 'Body weight');
  for (const [method, path] of [['POST', '/api/content-types'], ['PUT', '/api/content-types/body/weight'], ['DELETE', '/api/content-types/body/weight'], ['POST', '/api/groups'], ['DELETE', '/api/groups/v1/fitness']] as const) {
    const r = await call(method, path, patientCookie, { body: { name: 'x', resourceType: 'Observation', label: 'X' } });
    assert.deepEqual([r.status, r.json?.issue?.[0]?.code], [403, 'forbidden'], `${method} ${path}`);
  }
  assert.ok(server.fhirkeep.taxonomy.content('body/weight'), 'nothing was deleted');
});

test('an admin adds, reads, searches, replaces and deletes a content type; records are classified by it at once', async () => {
  const made = await admin('POST', '/api/content-types', { name: 'fitness/mood', resourceType: 'Observation', label: 'Mood', codes: ['urn:fhirkeep:test|mood', { system: 'urn:fhirkeep:test', code: 'feeling', display: 'Feeling' }] });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.headers.get('location'), '/api/content-types/fitness/mood');
  assert.deepEqual(made.json, {
    name: 'fitness/mood',
    resourceType: 'Observation',
    label: 'Mood',
    dynamic: false,
    codes: [
      { system: 'urn:fhirkeep:test', code: 'feeling', display: 'Feeling' },
      { system: 'urn:fhirkeep:test', code: 'mood' },
    ],
  });
  assert.equal((await admin('GET', '/api/content-types/fitness%2Fmood')).json.name, 'fitness/mood', 'the name may be percent-encoded');
  assert.deepEqual((await admin('GET', '/api/content-types?q=FEELING')).json.contentTypes.map((c: { name: string }) => c.name), ['fitness/mood']);

  const obs = await fhir('POST', '/Observation', { body: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'urn:fhirkeep:test', code: 'mood' }] } } });
  assert.equal(obs.status, 201, obs.text);
  const contentOf = async (type: string, id: string) => (await server.fhirkeep.database.sql`select content_type from resources where type = ${type} and id = ${id}`)[0]?.content_type;
  assert.equal(await contentOf('Observation', obs.json.id), 'fitness/mood');

  const replaced = await admin('PUT', '/api/content-types/fitness/mood', { resourceType: 'Observation', label: 'Mood of the day', codes: ['urn:fhirkeep:test|mood'] });
  assert.equal(replaced.status, 200, replaced.text);
  assert.deepEqual([replaced.json.label, replaced.json.codes.length], ['Mood of the day', 1]);
  assert.equal((await admin('DELETE', '/api/content-types/fitness/mood')).status, 204);
  assert.equal((await admin('GET', '/api/content-types/fitness/mood')).status, 404);
});

test('conflicting codes are refused with 422 on write; auto-registered codes get a dynamic content type', async () => {
  const both = await fhir('POST', '/Observation', {
    body: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }, { system: 'http://loinc.org', code: '8302-2' }] } },
  });
  assert.equal(both.status, 422, both.text);
  assert.match(both.json.issue[0].diagnostics, /body\/weight.*body\/height/);

  const odd = await fhir('POST', '/Condition', { body: { resourceType: 'Condition', subject: { reference: 'Patient/x' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '57427004', display: 'A finding' }] } } });
  assert.equal(odd.status, 201, odd.text);
  for (let i = 0; i < 200 && server.fhirkeep.taxonomy.content('snomed/57427004') === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  const dynamic = await admin('GET', '/api/content-types/snomed/57427004');
  assert.deepEqual([dynamic.status, dynamic.json.dynamic, dynamic.json.resourceType, dynamic.json.label], [200, true, 'Condition', 'A finding']);
  const groups = await admin('GET', '/api/groups');
  assert.ok(groups.json.groups.find((g: { name: string }) => g.name === 'dynamic').contents.includes('snomed/57427004'));
});

test('content type input is checked field by field: 400, 409, 404, 415, never 5xx', async () => {
  const valid = { name: 'test/ok', resourceType: 'Observation', label: 'OK', codes: [] as unknown[] };
  const cases: [unknown, number, RegExp][] = [
    [{ ...valid, name: 'bad name' }, 400, /^name:/],
    [{ ...valid, name: '/leading' }, 400, /^name:/],
    [{ ...valid, name: 'x'.repeat(101) }, 400, /^name:/],
    [{ ...valid, resourceType: 'Nonsense' }, 400, /^resourceType:/],
    [{ ...valid, label: '  ' }, 400, /^label:/],
    [{ ...valid, codes: ['no-bar'] }, 400, /^codes\[0\]:/],
    [{ ...valid, codes: ['|code'] }, 400, /^codes\[0\]:/],
    [{ ...valid, codes: ['urn:x|'] }, 400, /^codes\[0\]:/],
    [{ ...valid, codes: [{ system: 'urn:x', code: 'a\u0000b' }] }, 400, /NUL/],
    [{ ...valid, codes: [42] }, 400, /codes\.0/],
    [{ ...valid, extra: true }, 400, /Unrecognized key/],
    [[], 400, /body/],
    [{ ...valid, name: 'body/weight' }, 409, /body\/weight/],
    [{ ...valid, codes: ['http://loinc.org|29463-7'] }, 409, /already maps to content type body\/weight/],
  ];
  for (const [body, status, message] of cases) {
    const r = await admin('POST', '/api/content-types', body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.issue[0].diagnostics, message);
  }
  assert.equal((await call('POST', '/api/content-types', adminCookie, { raw: '{', headers: { 'content-type': 'application/json' } })).status, 400);
  assert.equal((await call('POST', '/api/content-types', adminCookie, { body: valid, headers: { 'content-type': 'text/plain' } })).status, 415);
  assert.equal((await admin('PUT', '/api/content-types/nope/none', { resourceType: 'Observation', label: 'X' })).status, 404);
  assert.equal((await admin('DELETE', '/api/content-types/nope/none')).status, 404);
  assert.equal((await admin('DELETE', '/api/content-types/a%00b')).status, 404);
  assert.equal((await admin('GET', '/api/content-types/a%00b')).status, 404);
  assert.equal((await admin('GET', '/api/content-types?limit=0')).status, 400);
  assert.equal((await admin('GET', '/api/content-types?q=a&q=b')).status, 400);
  assert.equal((await admin('GET', '/api/content-types?other=1')).status, 400);
});

test('groups: the tree per system; an admin adds a group under a parent, adds and removes members, deletes it', async () => {
  const tree = await admin('GET', '/api/groups?system=v1');
  assert.equal(tree.status, 200);
  const lab = tree.json.groups.find((g: { name: string }) => g.name === 'laboratory');
  assert.deepEqual(lab.groups.map((g: { name: string }) => g.name), ['chemistry', 'diabetes-markers', 'hematology', 'lipids']);
  assert.deepEqual((await admin('GET', '/api/groups?system=none')).json.groups, []);

  const made = await admin('POST', '/api/groups', { name: 'kidney', parent: 'laboratory', label: 'Kidney function', contents: ['lab/creatinine', 'lab/egfr'] });
  assert.equal(made.status, 201, made.text);
  assert.deepEqual(made.json, { system: 'v1', name: 'kidney', parent: 'laboratory', label: 'Kidney function', contents: ['lab/creatinine', 'lab/egfr'] });
  assert.ok(server.fhirkeep.taxonomy.groupContents('v1', 'laboratory', []).has('lab/egfr'));
  const added = await admin('POST', '/api/groups/v1/kidney/contents', { contents: ['lab/urea'] });
  assert.deepEqual(added.json.contents, ['lab/creatinine', 'lab/egfr', 'lab/urea']);
  assert.equal((await admin('DELETE', '/api/groups/v1/kidney/contents/lab/egfr')).status, 204);
  assert.deepEqual([...server.fhirkeep.taxonomy.groupContents('v1', 'kidney', [])].sort(), ['lab/creatinine', 'lab/urea']);

  for (const [body, status, message] of [
    [{ name: 'kidney', label: 'Again' }, 409, /kidney/],
    [{ name: 'x', parent: 'nope', label: 'X' }, 400, /^parent:/],
    [{ name: 'x', label: 'X', contents: ['nope/none'] }, 400, /^contents\[0\]:/],
    [{ name: 'a/b', label: 'X' }, 400, /^name:/],
    [{ name: 'x', system: 'has space', label: 'X' }, 400, /^system:/],
    [{ name: 'x' }, 400, /label/],
  ] as const) {
    const r = await admin('POST', '/api/groups', body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.issue[0].diagnostics, message);
  }
  assert.equal((await admin('POST', '/api/groups/v1/nope/contents', { contents: ['lab/urea'] })).status, 404);
  assert.equal((await admin('POST', '/api/groups/v1/kidney/contents', { contents: ['nope/none'] })).status, 400);
  assert.equal((await admin('POST', '/api/groups/v1/kidney/contents', { contents: [] })).status, 400);
  assert.equal((await admin('DELETE', '/api/groups/v1/kidney/contents/lab/egfr')).status, 404);
  assert.equal((await admin('DELETE', '/api/groups/v1/kidney')).status, 204);
  assert.equal((await admin('DELETE', '/api/groups/v1/kidney')).status, 404);
  assert.ok(server.fhirkeep.taxonomy.content('lab/creatinine'), 'deleting a group keeps its content types');
});
