/**
 * Bulk export by HIE users (docs/hie.md, docs/bulk-export.md), driven with the partners' header
 * set: a user signed in through `/api/1.0/sso/signin` kicks off, polls and downloads with
 * `X-Auth-Token: <user token>` and `client_id`. The files hold what the user's reads show — the
 * patients of their catchment, or their own record, confidential encounters hidden from
 * providers and facilities — as it stands when the job runs: an account deactivated, disabled
 * or whose organization's client is revoked by then fails the job. Only the user who asked, through
 * the organization that signed them in, may see it. The test's server runs no exports; a second
 * node on the same database runs them when the test says (test/support/export-deployment.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { downloadExport, exportDeployment, jobIdOf, jobSettled, kickOff, pollExport, type ManifestEntry } from './support/export-deployment.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { hieOrganization, hieSignIn, hieUser, seedHieFixture, type HieOrganization } from './support/hie.js';
import { httpClient, type HttpResult } from './support/http.js';

const deployment = exportDeployment();
let server: TestServer;
let clinic: HieOrganization;
let otherOrg: HieOrganization;

before(async () => {
  server = await startTestServer(deployment.settings);
  ({ clinic, otherOrg } = await seedHieFixture(server));
});
after(async () => {
  await server.close();
  deployment.remove();
});

/** The types of the Patient compartment the fixture writes. */
const COMPARTMENT = ['Encounter', 'Observation', 'Patient'];

const send = httpClient('');
/** A FHIR request's headers as the partners send them: the user's token, with the client_id that signed it in. */
const as = (token: string, via = clinic) => ({ client_id: via.clientId, 'X-Auth-Token': token });
const signIn = (email: string, via = clinic) => hieSignIn(server.baseUrl, via, email);

/** A kick-off that must be accepted: its status URL. */
async function accepted(path: string, headers: Record<string, string>): Promise<string> {
  const res = await kickOff(`${server.fhirBase}/${path}`, headers);
  assert.equal(res.status, 202, res.text);
  const statusUrl = res.headers.get('content-location') ?? assert.fail('a 202 names its status URL');
  assert.match(statusUrl, /\/fhir\/bulk-status\/[0-9a-f-]{36}$/, 'no query: the headers are the credential');
  return statusUrl;
}
/** A completed export's files, downloaded with the same headers. */
async function files(done: HttpResult, headers: Record<string, string>): Promise<Record<string, string[]>> {
  assert.equal(done.status, 200, done.text);
  assert.deepEqual(done.json.error, []);
  return downloadExport(done.json, headers);
}
/** What the user's searches show of `type`. */
async function searched(type: string, headers: Record<string, string>): Promise<string[]> {
  const res = await send('GET', `${server.fhirBase}/${type}?_count=100`, { headers });
  assert.equal(res.status, 200, res.text);
  return ((res.json.entry ?? []) as { resource: { resourceType: string; id: string } }[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
}
/** The files hold, type by type, exactly what the user's searches of `types` show, and no other type. */
async function assertAsReads(exported: Record<string, string[]>, types: readonly string[], headers: Record<string, string>): Promise<void> {
  assert.deepEqual(Object.keys(exported).filter((t) => !types.includes(t)), [], 'no type beyond those expected');
  for (const type of types) assert.deepEqual(exported[type] ?? [], await searched(type, headers), type);
}
function assertFailed(res: HttpResult, what: string): void {
  assert.equal(res.status, 500, `${what}: ${res.text}`);
  assert.equal(res.json.resourceType, 'OperationOutcome', what);
  assert.equal(res.json.issue[0].severity, 'error', what);
}

test('a provider’s Patient export: kicked off, polled and downloaded with the partners’ headers; the catchment’s patients, no confidential encounter', async () => {
  const provider = as(await signIn('provider@example.org'));
  const statusUrl = await accepted('Patient/$export', provider);
  const queued = await send('GET', statusUrl, { headers: provider });
  assert.equal(queued.status, 202, 'no node of this deployment has run it yet');
  const done = await deployment.withWorker(server, () => pollExport(statusUrl, provider));
  assert.equal(done.json.requiresAccessToken, true);
  const exported = await files(done, provider);
  assert.deepEqual(exported['Patient'], ['Patient/pDistrict', 'Patient/pIn'], 'an area code under 302618 or a district that is one; not pNext (302619…) nor pOwn');
  assert.deepEqual(exported['Observation'], ['Observation/o-pDistrict', 'Observation/o-pIn'], 'not oSecret, made in a confidential encounter');
  assert.deepEqual(exported['Encounter'], ['Encounter/e-pDistrict', 'Encounter/e-pIn'], 'not eSecret');
  await assertAsReads(exported, COMPARTMENT, provider);

  const file = (done.json.output as ManifestEntry[])[0]?.url ?? assert.fail('files');
  const download = (headers: Record<string, string>) => send('GET', file, { headers: { ...headers, accept: 'application/fhir+ndjson' } });
  assert.equal((await download({})).status, 401, 'no credentials');
  assert.equal((await download({ 'X-Auth-Token': provider['X-Auth-Token'] })).status, 401, 'the token without its client_id');
});

test('an admin profile sees confidential encounters, a facility its own catchment, a patient profile its own record', async () => {
  const users = {
    admin: as(await signIn('admin@example.org')),
    facility: as(await signIn('facility@example.org')),
    patient: as(await signIn('patient@example.org')),
  };
  const statusUrls = {
    admin: await accepted('Patient/$export', users.admin),
    facility: await accepted('Patient/$export', users.facility),
    patient: await accepted('Patient/$export', users.patient),
  };
  const exported = await deployment.withWorker(server, async () => ({
    admin: await files(await pollExport(statusUrls.admin, users.admin), users.admin),
    facility: await files(await pollExport(statusUrls.facility, users.facility), users.facility),
    patient: await files(await pollExport(statusUrls.patient, users.patient), users.patient),
  }));
  assert.deepEqual(exported.admin['Patient'], ['Patient/pDistrict', 'Patient/pIn']);
  assert.deepEqual(exported.admin['Encounter'], ['Encounter/e-pDistrict', 'Encounter/e-pIn', 'Encounter/eSecret']);
  assert.deepEqual(exported.admin['Observation'], ['Observation/o-pDistrict', 'Observation/o-pIn', 'Observation/oSecret']);
  assert.deepEqual(exported.facility['Patient'], ['Patient/pNext']);
  assert.deepEqual(exported.facility['Encounter'], ['Encounter/e-pNext']);
  assert.deepEqual(exported.patient['Patient'], ['Patient/pOwn'], 'their own record only');
  assert.deepEqual(exported.patient['Encounter'], ['Encounter/e-pOwn', 'Encounter/eOwnSecret'], 'their own confidential encounter included');
  assert.deepEqual(exported.patient['Observation'], ['Observation/o-pOwn']);
  for (const who of ['admin', 'facility', 'patient'] as const) await assertAsReads(exported[who], COMPARTMENT, users[who]);
});

test('a system export holds the directory data reads show, and the catchment’s compartments', async () => {
  const provider = as(await signIn('provider@example.org'));
  const statusUrl = await accepted('$export', provider);
  const exported = await files(await deployment.withWorker(server, () => pollExport(statusUrl, provider)), provider);
  assert.deepEqual(exported['ValueSet'], ['ValueSet/vs1']);
  assert.deepEqual(exported['Patient'], ['Patient/pDistrict', 'Patient/pIn']);
  await assertAsReads(exported, [...COMPARTMENT, ...Object.keys(exported).filter((t) => !COMPARTMENT.includes(t))], provider);
  assert.deepEqual(Object.keys(exported).sort(), ['Encounter', 'Observation', 'Patient', 'ValueSet'], 'nothing the fixture did not write');
});

test('an account deactivated or disabled before the job runs: the job fails with an OperationOutcome', async () => {
  const { fhirkeep } = server;
  await hieUser(fhirkeep, 'leaving@example.org', [{ type: 'provider', id: '7', catchments: ['30'] }]);
  await hieUser(fhirkeep, 'gone@example.org', [{ type: 'provider', id: '8', catchments: ['30'] }]);
  const leaving = as(await signIn('leaving@example.org'));
  const gone = as(await signIn('gone@example.org'));
  const deactivatedUrl = await accepted('Patient/$export', leaving);
  const disabledUrl = await accepted('Patient/$export', gone);
  await fhirkeep.hie.accounts.setActivated('leaving@example.org', false);
  const goneId = (await fhirkeep.auth.accounts.findByEmail('gone@example.org'))?.id ?? assert.fail('gone@ exists');
  await fhirkeep.auth.accounts.disable(goneId);
  try {
    assert.equal((await send('GET', deactivatedUrl, { headers: leaving })).status, 401, 'meanwhile the user may not ask at all');
    const settled = await deployment.withWorker(server, async () => [await jobSettled(server, jobIdOf(deactivatedUrl)), await jobSettled(server, jobIdOf(disabledUrl))]);
    assert.deepEqual(settled.map((s) => s.status), ['failed', 'failed']);
    assert.equal((settled[1]?.failure as { resourceType?: string } | undefined)?.resourceType, 'OperationOutcome', 'the disabled user’s job, which they can no longer poll');
  } finally {
    await fhirkeep.hie.accounts.setActivated('leaving@example.org', true);
  }
  const failed = await send('GET', deactivatedUrl, { headers: leaving });
  assertFailed(failed, 'activated again, the user learns the export failed');
  const file = await send('GET', `${server.fhirBase}/bulk-files/${jobIdOf(deactivatedUrl)}/Patient-1.ndjson`, { headers: { ...leaving, accept: 'application/fhir+ndjson' } });
  assert.equal(file.status, 404, 'and it wrote nothing');
});

test('the organization’s client revoked before the job runs: the job fails', async () => {
  const closing = await hieOrganization(server.fhirkeep, 'Closing clinic');
  const provider = as(await signIn('provider@example.org', closing), closing);
  const statusUrl = await accepted('Patient/$export', provider);
  await server.fhirkeep.hie.clients.revoke(closing.clientId);
  assert.equal((await send('GET', statusUrl, { headers: provider })).status, 401, 'its sessions ended with it');
  const settled = await deployment.withWorker(server, () => jobSettled(server, jobIdOf(statusUrl)));
  assert.equal(settled.status, 'failed', 'nothing is exported for a client no one may use');
  assert.equal((settled.failure as { resourceType?: string } | undefined)?.resourceType, 'OperationOutcome');
});

test('only the user who asked, through the organization that signed them in, polls, downloads or cancels it', async () => {
  const providerToken = await signIn('provider@example.org');
  const provider = as(providerToken);
  const statusUrl = await accepted('Patient/$export', provider);
  const done = await deployment.withWorker(server, () => pollExport(statusUrl, provider));
  assert.equal(done.status, 200, done.text);
  const file = (done.json.output as ManifestEntry[])[0]?.url ?? assert.fail('files');

  const colleague = as(await signIn('admin@example.org'));
  const elsewhere = as(await signIn('provider@example.org', otherOrg), otherOrg);
  for (const [who, headers] of [['another user of the same organization', colleague], ['the same user through another organization', elsewhere]] as const) {
    const status = await send('GET', statusUrl, { headers });
    assert.equal(status.status, 404, `${who}: ${status.text}`);
    assert.equal(status.json.resourceType, 'OperationOutcome', who);
    assert.equal((await send('GET', file, { headers: { ...headers, accept: 'application/fhir+ndjson' } })).status, 404, `${who} downloads`);
    assert.equal((await send('DELETE', statusUrl, { headers })).status, 404, `${who} cancels`);
  }

  // The export is the user's, not the session's: signed out and in again, they still have it.
  const signedOut = await send('POST', `${server.baseUrl}/api/1.0/sso/signout/${providerToken}`, { headers: { client_id: clinic.clientId, 'X-Auth-Token': clinic.token } });
  assert.equal(signedOut.status, 200, signedOut.text);
  assert.equal((await send('GET', statusUrl, { headers: provider })).status, 401, 'the ended session asks nothing');
  const again = as(await signIn('provider@example.org'));
  assert.equal((await send('GET', statusUrl, { headers: again })).status, 200);
  assert.equal((await send('DELETE', statusUrl, { headers: again })).status, 202);
  assert.equal((await send('GET', statusUrl, { headers: again })).status, 404, 'cancelled');
});
