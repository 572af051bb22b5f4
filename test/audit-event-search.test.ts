import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResource } from '../src/fhir/validator.js';
import { insertAuditRows } from './support/audit-trail.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { seedHolders } from './support/holders.js';
import { institutionToken } from './support/institution.js';
import { APP_REDIRECT, signIn } from './support/sign-in.js';

/**
 * The audit trail over FHIR (docs/audit-reading.md), on a running server with rows written into
 * `audit_events` as the writer would: an auditor (admin) searches every event by each parameter and
 * pages through them; an account holder sees only the events about her own Patient, and in an event
 * that also touched another patient nothing names that patient; everyone else gets a 403; writes
 * are 405; bad parameters 400.
 */
const file = serverForThisFile();
const PASSWORD = 'a long audit password';
const auditor = { email: 'auditor@example.org', password: PASSWORD };
const hana = { email: 'hana@example.org', password: PASSWORD };
const doc = { email: 'doc@example.org', password: PASSWORD };

interface Seeded {
  ids: Record<'hanaRead' | 'sharedSearch' | 'olafRead' | 'refused' | 'login' | 'export', string>;
  docId: string;
  appId: string;
  auditorToken: string;
  hanaToken: string;
}
let seeded: Promise<Seeded> | undefined;
const ready = () => (seeded ??= seed());

async function seed(): Promise<Seeded> {
  const { accounts, clients } = file.server.fhirkeep.auth;
  await accounts.create({ ...auditor, roles: ['admin'] });
  const hanaId = (await accounts.create({ ...hana, roles: ['patient'], patientId: 'hana-p' })).id;
  await accounts.create({ email: 'olaf@example.org', password: PASSWORD, roles: ['patient'], patientId: 'olaf-p' });
  const docId = (await accounts.create({ ...doc, roles: ['practitioner'], practitionerId: 'dr-1' })).id;
  await seedHolders(file.server, ['hana-p', 'olaf-p']);
  const appId = (await clients.register({ type: 'smart', name: 'Audit viewer', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['openid', 'launch/patient', 'user/*.rs', 'patient/*.rs'] })).client.id;
  const rows = await insertAuditRows(file.server.fhirkeep.database.sql, [
    { recorded: '2020-12-01T09:00:00Z', subtype: 'read', accountId: hanaId, clientId: appId, entity: ['Observation/h1'], patientIds: ['hana-p'], ip: '198.51.100.1' },
    {
      recorded: '2020-12-02T10:00:00Z',
      subtype: 'search-type',
      action: 'E',
      accountId: docId,
      clientId: appId,
      entity: ['Observation/h2', 'Observation/o9', 'Patient/olaf-p'],
      query: 'Observation?patient=hana-p,olaf-p',
      patientIds: ['hana-p', 'olaf-p'],
      ip: '203.0.113.7',
      outcomeDesc: 'found Observation/o9 of olaf-p',
    },
    { recorded: '2020-12-03T11:00:00Z', subtype: 'read', accountId: docId, clientId: appId, entity: ['Observation/o1'], patientIds: ['olaf-p'] },
    { recorded: '2020-12-04T12:00:00Z', subtype: 'read', outcome: 4, clientId: appId, entity: ['Observation/h3'], patientIds: ['hana-p'] },
    { recorded: '2020-12-05T13:00:00Z', type: '110114', subtype: 'login', action: 'E', accountId: docId, ip: '203.0.113.7' },
    { recorded: '2020-12-06T14:00:00Z', subtype: 'export', action: 'R', clientId: 'broker-1', onBehalfOf: 'Organization/org-1', entity: ['Patient'], patientIds: ['hana-p'] },
  ]);
  const [hanaRead, sharedSearch, olafRead, refused, login, exported] = rows as [string, string, string, string, string, string];
  const auditorToken = (await signIn(file.server.baseUrl, appId, auditor, 'openid user/AuditEvent.rs')).access_token;
  const hanaToken = (await signIn(file.server.baseUrl, appId, hana, 'openid user/AuditEvent.rs user/Observation.rs')).access_token;
  return { ids: { hanaRead, sharedSearch, olafRead, refused, login, export: exported }, docId, appId, auditorToken, hanaToken };
}

const get = (path: string, token: string, headers: Record<string, string> = {}) => file.fhir('GET', path, { headers: { authorization: `Bearer ${token}`, ...headers } });

interface AuditBundle {
  entry?: { fullUrl: string; resource: { id: string } & Record<string, unknown> }[];
  link: { relation: string; url: string }[];
}

/**
 * The test's rows are from December 2020. What the server records itself while the test runs (the
 * seed's writes, sign-ins, these very searches) is from now, so a search without a date of its
 * own is kept to 2020.
 */
const seededOnly = (path: string) => (/[?&]date=/.test(path) ? path : `${path}${path.includes('?') ? '&' : '?'}date=lt2021-01-01`);

/** The ids a search finds among the test's rows, newest first, after asserting a valid searchset of valid AuditEvents. */
async function found(path: string, token: string): Promise<string[]> {
  const res = await get(seededOnly(path), token);
  assert.equal(res.status, 200, `${path}: ${res.text}`);
  const bundle = res.json as AuditBundle;
  assert.equal((res.json as { type: string }).type, 'searchset');
  for (const e of bundle.entry ?? []) {
    const outcome = validateResource(e.resource);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(e.fullUrl, `${file.server.fhirBase}/AuditEvent/${e.resource.id}`);
  }
  return (bundle.entry ?? []).map((e) => e.resource.id);
}

test('an auditor searches the whole trail, newest first, by every parameter', async () => {
  const { ids, docId, appId, auditorToken: t } = await ready();
  const all = [ids.export, ids.login, ids.refused, ids.olafRead, ids.sharedSearch, ids.hanaRead];
  assert.deepEqual(await found('/AuditEvent', t), all);
  assert.deepEqual(await found('/AuditEvent?patient=Patient/olaf-p', t), [ids.olafRead, ids.sharedSearch]);
  assert.deepEqual(await found('/AuditEvent?patient=olaf-p,hana-p&subtype=read', t), [ids.refused, ids.olafRead, ids.hanaRead]);
  assert.deepEqual(await found(`/AuditEvent?agent=${docId}`, t), [ids.login, ids.olafRead, ids.sharedSearch]);
  assert.deepEqual(await found(`/AuditEvent?agent=${appId}&outcome=4`, t), [ids.refused]);
  assert.deepEqual(await found(`/AuditEvent?entity=${encodeURIComponent(`${file.server.fhirBase}/Observation/o9`)}`, t), [ids.sharedSearch]);
  assert.deepEqual(await found('/AuditEvent?type=http://dicom.nema.org/resources/ontology/DCM|110114', t), [ids.login]);
  assert.deepEqual(await found('/AuditEvent?type=rest&action=E', t), [ids.sharedSearch]);
  assert.deepEqual(await found('/AuditEvent?subtype=http://hl7.org/fhir/restful-interaction|login', t), [], 'login is no FHIR interaction');
  assert.deepEqual(await found('/AuditEvent?date=2020-12-03', t), [ids.olafRead], 'a day is the whole day');
  assert.deepEqual(await found('/AuditEvent?date=ge2020-12-02T10:00:00Z&date=lt2020-12-04', t), [ids.olafRead, ids.sharedSearch]);
  assert.deepEqual(await found('/AuditEvent?date=gt2020-12-05T13:00:00Z&date=lt2021', t), [ids.export]);
  assert.deepEqual(await found('/AuditEvent?date=le2020-12-01,2020-12-06', t), [ids.export, ids.hanaRead], 'OR-ed values');

  // An auditor sees the row as written: the other patient, the query, the address.
  const read = await get(`/AuditEvent/${ids.sharedSearch}`, t);
  assert.equal(read.status, 200);
  assert.equal(read.headers.get('etag'), 'W/"1"');
  assert.ok(validateResource(read.json).ok);
  assert.match(read.text, /Patient\/olaf-p/);
  assert.match(read.text, /203\.0\.113\.7/);
  const query = (read.json.entity as { query?: string }[]).find((e) => e.query !== undefined)?.query ?? '';
  assert.equal(Buffer.from(query, 'base64').toString(), 'Observation?patient=hana-p,olaf-p');
  assert.equal((await get(`/AuditEvent/${ids.sharedSearch}/_history/1`, t)).status, 200, 'its one version');
  assert.deepEqual(await found(`/AuditEvent?_count=1&_cursor=${encodeURIComponent(Buffer.from(JSON.stringify({ kind: 'after', rid: ids.login })).toString('base64url'))}`, t), [ids.refused]);
});

test('paging: _count pages by next links, each event once, in order; POST _search answers the same', async () => {
  const { ids, auditorToken: t } = await ready();
  const seen: string[] = [];
  let path: string | undefined = seededOnly('/AuditEvent?_count=2&type=rest');
  let pages = 0;
  while (path !== undefined) {
    const res = await get(path, t);
    assert.equal(res.status, 200, res.text);
    const bundle = res.json as AuditBundle;
    assert.ok((bundle.entry ?? []).length <= 2);
    seen.push(...(bundle.entry ?? []).map((e) => e.resource.id));
    const next = bundle.link.find((l) => l.relation === 'next')?.url;
    if (next !== undefined) assert.match(next, /type=rest/, 'the search is kept in the link');
    path = next?.slice(file.server.fhirBase.length);
    pages++;
  }
  assert.deepEqual(seen, [ids.export, ids.refused, ids.olafRead, ids.sharedSearch, ids.hanaRead]);
  assert.equal(pages, 3);
  const posted = await file.fhir('POST', '/AuditEvent/_search', { raw: 'patient=olaf-p&date=lt2021-01-01', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(posted.status, 200);
  assert.deepEqual((posted.json as AuditBundle).entry?.map((e) => e.resource.id), [ids.olafRead, ids.sharedSearch]);
});

test("an account holder sees only her own Patient's events, and nothing in them names another patient", async () => {
  const { ids, hanaToken: t } = await ready();
  assert.deepEqual(await found('/AuditEvent', t), [ids.export, ids.refused, ids.sharedSearch, ids.hanaRead]);
  assert.deepEqual(await found('/AuditEvent?patient=olaf-p', t), [], "asking for another patient's events finds none");
  assert.deepEqual(await found('/AuditEvent?patient=hana-p&outcome=4', t), [ids.refused], 'refused attempts included');
  // Searching by what her view hides would tell it: another patient's record in an event that touched both.
  assert.deepEqual(await found('/AuditEvent?entity=Observation/o9', t), []);
  assert.deepEqual(await found('/AuditEvent?entity=Patient/olaf-p', t), []);
  assert.deepEqual(await found('/AuditEvent?entity=Observation/h1', t), [ids.hanaRead], 'her own records are searchable');

  // The search that touched Olaf too: she sees who searched and that Observations were read, not whose or which.
  const shared = await get(`/AuditEvent/${ids.sharedSearch}`, t);
  assert.equal(shared.status, 200);
  for (const leak of ['olaf', 'o9', 'h2', '203.0.113.7', 'outcomeDesc', Buffer.from('Observation?patient=hana-p,olaf-p').toString('base64')]) {
    assert.doesNotMatch(shared.text, new RegExp(leak), `${leak} is not shown to her`);
  }
  assert.deepEqual(
    (shared.json.entity as { what: unknown }[]).map((e) => e.what),
    [{ reference: 'Patient/hana-p' }, { type: 'Observation' }],
  );
  const searchset = await get(seededOnly('/AuditEvent'), t);
  assert.doesNotMatch(searchset.text, /olaf|203\.0\.113\.7|198\.51\.100\.1/, 'nor in a search');
  assert.equal((await get(`/AuditEvent/${ids.olafRead}`, t)).status, 404, "another patient's event is not found");
  assert.equal((await get(`/AuditEvent/${ids.login}`, t)).status, 404, 'nor a security event about no patient');
});

test('a patient/ scope launched with her own Patient reaches her events too', async () => {
  const { ids, appId } = await ready();
  const token = await signIn(file.server.baseUrl, appId, hana, 'openid launch/patient patient/AuditEvent.rs');
  assert.equal(token.patient, 'hana-p');
  assert.deepEqual(await found('/AuditEvent?subtype=read', token.access_token), [ids.refused, ids.hanaRead]);
});

test('everyone else is refused with a 403 OperationOutcome: a practitioner, a service, a token without an AuditEvent scope; no token is a 401', async () => {
  const { appId, ids } = await ready();
  const practitioner = (await signIn(file.server.baseUrl, appId, doc, 'openid user/AuditEvent.rs')).access_token;
  const institution = await institutionToken(file.server.fhirkeep, 'system/*.rs');
  // Another app: a new consent to the same one would end the auditor's other tokens.
  const plainApp = (await file.server.fhirkeep.auth.clients.register({ type: 'smart', name: 'Plain viewer', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['openid', 'user/*.rs'] })).client.id;
  const noScope = (await signIn(file.server.baseUrl, plainApp, auditor, 'openid user/Observation.rs')).access_token;
  for (const [who, token] of [
    ['practitioner', practitioner],
    ['service with reach all', institution],
    ['admin without an AuditEvent scope', noScope],
  ] as const) {
    for (const path of ['/AuditEvent', `/AuditEvent/${ids.hanaRead}`]) {
      const res = await get(path, token);
      assert.equal(res.status, 403, `${who} ${path}: ${res.text}`);
      assert.equal(res.json.resourceType, 'OperationOutcome');
      assert.equal(res.json.issue[0].code, 'forbidden');
    }
  }
  const anonymous = await file.fhir('GET', '/AuditEvent');
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.json.resourceType, 'OperationOutcome');
});

test("an app's user token without her consent to the app (the acting consent, checked in SQL) sees no event", async () => {
  const { auditor: auditorAccount, hana: hanaAccount } = {
    auditor: await file.server.fhirkeep.auth.accounts.findByEmail(auditor.email),
    hana: await file.server.fhirkeep.auth.accounts.findByEmail(hana.email),
  };
  await ready();
  const { clients, accessTokens } = file.server.fhirkeep.auth;
  const other = (await clients.register({ type: 'smart', name: 'Never approved', isPublic: true, redirectUris: [APP_REDIRECT], scopes: ['user/*.rs'] })).client.id;
  for (const account of [auditorAccount, hanaAccount]) {
    const { token } = await accessTokens.issue({ sub: account?.id ?? '', account: account?.id ?? '', client_id: other, scope: 'user/AuditEvent.rs', gid: crypto.randomUUID() });
    assert.deepEqual(await found('/AuditEvent', token), [], `${account?.email ?? ''} without a consent to the app`);
  }
});

test('the trail is written by the server alone: every write is a 405 OperationOutcome, also inside a batch, and changes nothing', async () => {
  const { ids, auditorToken: t } = await ready();
  const body = { resourceType: 'AuditEvent', id: ids.hanaRead };
  const before = await found('/AuditEvent', t);
  for (const [method, path, allowed] of [
    ['POST', '/AuditEvent', 'GET'],
    ['PUT', `/AuditEvent/${ids.hanaRead}`, 'GET'],
    ['PATCH', `/AuditEvent/${ids.hanaRead}`, 'GET'],
    ['DELETE', `/AuditEvent/${ids.hanaRead}`, 'GET'],
    ['DELETE', '/AuditEvent?patient=hana-p', 'GET'],
    ['PUT', '/AuditEvent?patient=hana-p', 'GET'],
  ] as const) {
    const res = await file.fhir(method, path, { body, headers: { authorization: `Bearer ${t}`, ...(method === 'PATCH' ? { 'content-type': 'application/json-patch+json' } : {}) } });
    assert.equal(res.status, 405, `${method} ${path}: ${res.text}`);
    assert.equal(res.headers.get('allow'), allowed);
    assert.equal(res.json.resourceType, 'OperationOutcome');
  }
  const batch = await file.fhir('POST', '', {
    body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: 'AuditEvent' }, request: { method: 'POST', url: 'AuditEvent' } }] },
    headers: { authorization: `Bearer ${t}` },
  });
  assert.equal(batch.status, 200, batch.text);
  assert.match(batch.json.entry[0].response.status, /^405/);
  assert.deepEqual(await found('/AuditEvent', t), before, 'nothing was written or deleted');
});

test('bad input is a 400 (unknown parameters too, unless handling is lenient); unknown ids are 404, never a 5xx', async () => {
  const { auditorToken: t } = await ready();
  for (const path of ['/AuditEvent?foo=bar', '/AuditEvent?date=yesterday', '/AuditEvent?patient=Observation/1', '/AuditEvent?outcome=5', '/AuditEvent?_cursor=nope', '/AuditEvent?subtype:not=read', '/AuditEvent?_count=x']) {
    const res = await get(path, t);
    assert.equal(res.status, 400, `${path}: ${res.text}`);
    assert.equal(res.json.resourceType, 'OperationOutcome');
  }
  const lenient = await get('/AuditEvent?foo=bar&patient=olaf-p', t, { prefer: 'handling=lenient' });
  assert.equal(lenient.status, 200);
  assert.equal((lenient.json as AuditBundle).link.find((l) => l.relation === 'self')?.url, `${file.server.fhirBase}/AuditEvent?patient=olaf-p`);
  for (const path of ['/AuditEvent/abc', '/AuditEvent/0', '/AuditEvent/99999999999999999999', '/AuditEvent/1/_history/2', '/AuditEvent/_history/1']) {
    const res = await get(path, t);
    assert.equal(res.status, 404, `${path}: ${res.text}`);
    assert.equal(res.json.resourceType, 'OperationOutcome');
  }
});

test('what the server records itself — sign-ins, the seed’s writes, these searches — reads back as valid AuditEvents', async () => {
  const { auditorToken: t } = await ready();
  await found('/AuditEvent?date=ge2021-01-01&_count=1', t);
  // Reads are written in batches: wait for this node's queue to reach the table.
  let ids: string[] = [];
  for (let i = 0; i < 50 && ids.length === 0; i++) {
    ids = await found('/AuditEvent?date=ge2021-01-01&subtype=search-type&_count=1000', t);
    if (ids.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ids.length > 0, 'the searches above are in the trail');
  const everything = await get('/AuditEvent?date=ge2021-01-01&_count=1000', t);
  const events = (everything.json as AuditBundle).entry?.map((e) => e.resource) ?? [];
  for (const event of events) assert.ok(validateResource(event).ok, JSON.stringify(validateResource(event)));
  const codes = new Set(events.map((e) => (e.type as { code: string }).code));
  assert.ok(codes.has('110114') && codes.has('rest'), `sign-ins and FHIR interactions: ${[...codes].join(', ')}`);
  const created = events.find((e) => (e.subtype as { code: string }[])[0]?.code === 'create' && e.outcome === '0');
  assert.ok(created !== undefined, 'the seed’s creates');
  assert.ok((created.entity as { what?: { reference?: string } }[]).some((x) => x.what?.reference === 'Patient/hana-p' || x.what?.reference === 'Patient/olaf-p'), `with the patient they touched: ${JSON.stringify(created)}`);
});
