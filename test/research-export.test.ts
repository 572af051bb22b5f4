/**
 * Bulk export by a research partner (docs/research.md, docs/bulk-export.md), driven as the
 * partner documentation drives every FHIR request: a token from
 * `/msk-apim/external/msk-oidc/oauth2/token` (query parameters), and `researchstudy=` on the
 * kick-off, every poll and every download. The files hold what the partner's reads show in that
 * study — the enrolled, consented subjects' compartments and directory data — as it stands when
 * the job runs: a subject who withdraws after the kick-off is not in them, and a grant revoked
 * by then fails the job. The test's server runs no exports; a second node on the same database
 * runs them when the test says (test/support/export-deployment.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { downloadExport, exportDeployment, jobIdOf, jobSettled, kickOff, pollExport, type ManifestEntry } from './support/export-deployment.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { httpClient, type HttpResult } from './support/http.js';
import { HEART, partnerToken, researchConsent, researchSubject, seedResearchFixture, type ResearchFixture } from './support/research.js';

const deployment = exportDeployment();
let server: TestServer;
let fixture: ResearchFixture;
/** The heart partner's access token. */
let token: string;

before(async () => {
  server = await startTestServer(deployment.settings);
  fixture = await seedResearchFixture(server);
  token = (await partnerToken(server.baseUrl, fixture.partner)).json.access_token as string;
});
after(async () => {
  await server.close();
  deployment.remove();
});

/** The types the fixture writes: an export holds no other. */
const SEEDED = ['Consent', 'Observation', 'Patient', 'Practitioner', 'ResearchStudy', 'ResearchSubject'];
const COMPARTMENT = ['Consent', 'Observation', 'Patient', 'ResearchSubject'];

const bearer = (t = token) => ({ authorization: `Bearer ${t}` });
/** `path` under the FHIR base with `researchstudy` appended (null: none). */
function studyUrl(path: string, study: string | null = 'heart'): string {
  const url = new URL(`${server.fhirBase}/${path}`);
  if (study !== null) url.searchParams.append('researchstudy', study);
  return url.toString();
}
/** The same URL naming another study in place of the one it carries. */
function inStudy(url: string, study: string | null): string {
  const u = new URL(url);
  u.searchParams.delete('researchstudy');
  if (study !== null) u.searchParams.append('researchstudy', study);
  return u.toString();
}
const send = httpClient('');
const obs = (...patients: string[]) => patients.map((p) => `Observation/${fixture.observations[p] ?? ''}`).sort();

/** A kick-off that must be accepted: its status URL, which carries the study as the kick-off named it. */
async function accepted(path: string, study = 'heart'): Promise<string> {
  const res = await kickOff(studyUrl(path, study), bearer());
  assert.equal(res.status, 202, res.text);
  const statusUrl = res.headers.get('content-location') ?? assert.fail('a 202 names its status URL');
  assert.match(new URL(statusUrl).pathname, /^\/fhir\/bulk-status\/[0-9a-f-]{36}$/);
  assert.deepEqual(new URL(statusUrl).searchParams.getAll('researchstudy'), [study], 'polling needs the study too');
  return statusUrl;
}
/** Runs the queue on the worker node, polling the status URL as the partner; the final answer. */
const run = (statusUrl: string): Promise<HttpResult> => deployment.withWorker(server, () => pollExport(statusUrl, bearer()));

/** A completed export's files, downloaded with the token and the URLs as the manifest gives them. */
async function files(done: HttpResult, study = 'heart'): Promise<Record<string, string[]>> {
  assert.equal(done.status, 200, done.text);
  const output = done.json.output as ManifestEntry[];
  for (const entry of output) assert.deepEqual(new URL(entry.url).searchParams.getAll('researchstudy'), [study], entry.url);
  return downloadExport(done.json, bearer());
}
/** What the partner's searches show of `type` in the study. */
async function searched(type: string, study = 'heart'): Promise<string[]> {
  const res = await send('GET', studyUrl(`${type}?_count=100`, study), { headers: bearer() });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.link.find((l: { relation: string }) => l.relation === 'next'), undefined, 'one page holds it all');
  return ((res.json.entry ?? []) as { resource: { resourceType: string; id: string } }[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
}
/** The export's files hold, type by type, exactly what searches of `types` show, and no other type. */
async function assertAsReads(exported: Record<string, string[]>, types: readonly string[], study = 'heart'): Promise<void> {
  assert.deepEqual(Object.keys(exported).filter((t) => !types.includes(t)), [], 'no type beyond those expected');
  for (const type of types) assert.deepEqual(exported[type] ?? [], await searched(type, study), type);
}
function assertFailed(res: HttpResult, what: string): void {
  assert.equal(res.status, 500, `${what}: ${res.text}`);
  assert.equal(res.json.resourceType, 'OperationOutcome', what);
  assert.equal(res.json.issue[0].severity, 'error', what);
}
const jobCount = async () => Number((await server.fhirkeep.database.sql<{ n: string }[]>`select count(*) as n from export_jobs`)[0]?.n);

test('a system export in the study: kicked off, polled and downloaded with researchstudy; the files hold what reads show', async () => {
  const statusUrl = await accepted('$export');
  const queued = await send('GET', statusUrl, { headers: bearer() });
  assert.equal(queued.status, 202, 'no node of this deployment has run it yet');
  assert.equal(queued.headers.get('x-progress'), 'queued');

  const done = await run(statusUrl);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.requiresAccessToken, true);
  assert.deepEqual(done.json.error, []);
  assert.deepEqual(new URL(done.json.request).searchParams.getAll('researchstudy'), ['heart'], 'the manifest echoes the kick-off as it was sent');
  const exported = await files(done);
  assert.deepEqual(exported['Patient'], ['Patient/pA', 'Patient/pB'], 'pA on study, pB through an active Consent; not pC (withdrawn) nor pD (another study)');
  assert.deepEqual(exported['Observation'], obs('pA', 'pB'));
  assert.deepEqual(exported['ResearchSubject'], ['ResearchSubject/sA', 'ResearchSubject/sB']);
  assert.deepEqual(exported['Consent'], ['Consent/kB']);
  assert.deepEqual(exported['Practitioner'], ['Practitioner/dr1'], 'directory data, as reads show it');
  await assertAsReads(exported, SEEDED);

  const file = (done.json.output as ManifestEntry[])[0]?.url ?? assert.fail('files');
  const download = (url: string, headers: Record<string, string> = bearer()) => send('GET', url, { headers: { ...headers, accept: 'application/fhir+ndjson' } });
  assert.equal((await download(inStudy(file, null))).status, 400, 'a download names its study like every request');
  assert.equal((await download(inStudy(file, 'lung'))).status, 403, 'a study the partner is not granted');
  assert.equal((await download(file, {})).status, 401, 'no token');
  const lungToken = (await partnerToken(server.baseUrl, fixture.lungPartner)).json.access_token as string;
  assert.equal((await download(inStudy(file, 'lung'), bearer(lungToken))).status, 404, 'another partner, in its own study');
});

test('a Patient-level export, by the study’s identifier: the subjects’ compartments only; the study’s id polls it too', async () => {
  const statusUrl = await accepted('Patient/$export', HEART);
  const done = await run(statusUrl);
  const exported = await files(done, HEART);
  assert.deepEqual(exported['Patient'], ['Patient/pA', 'Patient/pB']);
  assert.deepEqual(exported['Observation'], obs('pA', 'pB'));
  assert.equal(exported['Practitioner'], undefined, 'no directory data below the system level');
  await assertAsReads(exported, COMPARTMENT, HEART);
  const byId = await send('GET', inStudy(statusUrl, 'heart'), { headers: bearer() });
  assert.equal(byId.status, 200, 'the same study, named by its id');
});

test('a subject who withdraws after the kick-off, before the job runs, is not in the files', async () => {
  const { seedWrite } = fixture;
  const offStudy = await accepted('$export?_type=Patient,Observation,ResearchSubject,Consent');
  await seedWrite('PUT', 'ResearchSubject/sA', researchSubject('sA', 'pA', 'heart', 'off-study'));
  try {
    const exported = await files(await run(offStudy));
    assert.deepEqual(exported['Patient'], ['Patient/pB']);
    assert.deepEqual(exported['Observation'], obs('pB'));
    assert.deepEqual(exported['ResearchSubject'], ['ResearchSubject/sB']);
    await assertAsReads(exported, COMPARTMENT);
  } finally {
    await seedWrite('PUT', 'ResearchSubject/sA', researchSubject('sA', 'pA', 'heart', 'on-study'));
  }

  const consentWithdrawn = await accepted('Patient/$export');
  await seedWrite('PUT', 'Consent/kB', researchConsent('kB', 'pB', 'inactive'));
  try {
    const exported = await files(await run(consentWithdrawn));
    assert.deepEqual(exported['Patient'], ['Patient/pA']);
    assert.deepEqual(exported['Observation'], obs('pA'));
    assert.equal(exported['Consent'], undefined, 'pB’s Consent left with pB');
    await assertAsReads(exported, COMPARTMENT);
  } finally {
    await seedWrite('PUT', 'Consent/kB', researchConsent('kB', 'pB', 'active'));
  }
});

test('the study grant revoked before the job runs: the job fails, and says so with an OperationOutcome', async () => {
  const statusUrl = await accepted('Patient/$export');
  await server.fhirkeep.studies.revoke(fixture.partner.id, 'heart');
  try {
    assert.equal((await send('GET', statusUrl, { headers: bearer() })).status, 403, 'meanwhile the partner may not ask about the study at all');
    const settled = await deployment.withWorker(server, () => jobSettled(server, jobIdOf(statusUrl)));
    assert.equal(settled.status, 'failed');
  } finally {
    await server.fhirkeep.studies.grant(fixture.partner.id, HEART);
  }
  const failed = await send('GET', statusUrl, { headers: bearer() });
  assertFailed(failed, 'granted again, the partner learns the export failed');
  assert.ok(failed.headers.get('expires') !== null, 'a failed job expires like a completed one');
  const file = await send('GET', `${server.fhirBase}/bulk-files/${jobIdOf(statusUrl)}/Patient-1.ndjson?researchstudy=heart`, { headers: { ...bearer(), accept: 'application/fhir+ndjson' } });
  assert.equal(file.status, 404, 'and wrote nothing to download');
});

test('kick-offs without a study, with two, or in a study the partner may not query are refused and queue nothing', async () => {
  const before = await jobCount();
  for (const path of ['$export', 'Patient/$export']) {
    const none = await kickOff(studyUrl(path, null), bearer());
    assert.equal(none.status, 400, `${path} without researchstudy: ${none.text}`);
    assert.equal(none.json.resourceType, 'OperationOutcome');
    const twice = await kickOff(`${studyUrl(path)}&researchstudy=heart`, bearer());
    assert.equal(twice.status, 400, `${path} with researchstudy twice`);
    for (const study of ['lung', 'no-such-study']) {
      const refused = await kickOff(studyUrl(path, study), bearer());
      assert.equal(refused.status, 403, `${path} in ${study}: ${refused.text}`);
      assert.equal(refused.json.resourceType, 'OperationOutcome');
    }
  }
  assert.equal(await jobCount(), before);
});

test('an export is polled, downloaded and cancelled only in the study it was asked in', async () => {
  const statusUrl = await accepted('Patient/$export');
  await server.fhirkeep.studies.grant(fixture.partner.id, 'lung');
  try {
    const otherStudy = await send('GET', inStudy(statusUrl, 'lung'), { headers: bearer() });
    assert.equal(otherStudy.status, 404, `the same partner in another study it is granted: ${otherStudy.text}`);
    assert.equal(otherStudy.json.resourceType, 'OperationOutcome');
    assert.equal((await send('DELETE', inStudy(statusUrl, 'lung'), { headers: bearer() })).status, 404, 'nor cancels it');
  } finally {
    await server.fhirkeep.studies.revoke(fixture.partner.id, 'lung');
  }
  assert.equal((await send('GET', inStudy(statusUrl, null), { headers: bearer() })).status, 400, 'no study: malformed, as for any request');
  assert.equal((await send('GET', inStudy(statusUrl, 'lung'), { headers: bearer() })).status, 403, 'lung revoked again: not even asked');
  assert.equal((await send('GET', statusUrl, { headers: bearer() })).status, 202, 'in its own study it is there');
  assert.equal((await send('DELETE', statusUrl, { headers: bearer() })).status, 202);
  assert.equal((await send('GET', statusUrl, { headers: bearer() })).status, 404, 'cancelled');
});
