/**
 * Bulk Data $export over HTTP (Bulk Data IG 1.0.1 / 2.0, docs/bulk-export.md), driven as a
 * backend-services client drives it: a token from the client_credentials grant with
 * private_key_jwt (openid-client), kick-off at every level, status polls that honour
 * Retry-After, the manifest, and every file downloaded with the token and checked line by line
 * against the data the test wrote. Jobs that must wait are kicked off on a node that runs none
 * (FHIRKEEP_EXPORT_WORKERS=0) and run by a second node started on its database later.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import postgres from 'postgres';
import {
  acceptedKickOff,
  backendToken,
  download,
  downloadAll,
  jobIdOf,
  kickOff,
  pollUntilDone,
  startExportNode,
  startSecondNode,
  statusRequest,
  waitUntilGone,
  type Completed,
  type DownloadedExport,
  type ExportedResource,
  type ExportNode,
  type KickOff,
} from './support/bulk-export.js';
import { seedHolders } from './support/holders.js';
import { institutionToken } from './support/institution.js';

const FILE_LINES = 3;
const LOINC = 'http://loinc.org';
const WEIGHT = '29463-7';
const HEART = '8867-4';
const HOLDERS = { alice: 'pA', bob: 'pB', carol: 'pC' } as const;

/** Runs the exports its clients ask for, as soon as they ask. */
let main: ExportNode;
/** Runs none: its jobs stay queued until a second node on its database takes them. */
let queue: ExportNode;
let mainSql: postgres.Sql;
/** Every resource written to `main`, as the server answered the last write of it, by `Type/id`. */
const written = new Map<string, ExportedResource>();
/** The lastUpdated of the last seeded resource: the `_since` that selects only the later updates. */
let since: string;

/** The institution's backend: private_key_jwt (ES384), reach all. */
let exporter: { id: string; token: string };
/** A subscription service: reaches only the holders who consented to it (alice and bob). */
let subscriber: { id: string; token: string };
/** An institutional client whose token holds system/Observation.rs only. */
let observationsOnly: { id: string; token: string };
/** On `queue`: a subscription service alice and bob consented to, and bob's consent. */
let queueSubscriber: { id: string; token: string; bobConsent: string };
const queueHolderObservations: Record<string, string> = {};

type SnapResource = ExportedResource & { readonly valueString?: string };
const key = (r: ExportedResource) => `${r.resourceType}/${r.id}`;
const patientOf = (r: ExportedResource): string | undefined => (r.resourceType === 'Patient' ? r.id : /^Patient\/(.+)$/.exec(r.subject?.reference ?? '')?.[1]);
const codeOf = (r: ExportedResource) => r.code?.coding?.[0]?.code;
const keysWhere = (match: (r: ExportedResource) => boolean) => [...written.values()].filter(match).map(key).sort();
const sorted = (keys: Iterable<string>) => [...keys].sort();

async function registerService(node: ExportNode, name: string, scopes: string[], reachAll: boolean): Promise<{ id: string; secret: string }> {
  const { clients, accessFilters } = node.server.fhirkeep.auth;
  const made = await clients.register({ type: 'service', name, scopes });
  if (reachAll) await accessFilters.setAccessFilter(made.client.id, { filter: null, reach: 'all' });
  return { id: made.client.id, secret: made.secret ?? '' };
}

async function secretToken(node: ExportNode, client: { id: string; secret: string }, scope: string): Promise<{ id: string; token: string }> {
  return { id: client.id, token: await backendToken(node.server.baseUrl, client.id, oidc.ClientSecretBasic(client.secret), scope) };
}

async function addHolders(node: ExportNode): Promise<Record<string, string>> {
  const accounts: Record<string, string> = {};
  for (const [name, patient] of Object.entries(HOLDERS)) {
    accounts[name] = (await node.server.fhirkeep.auth.accounts.create({ email: `${name}@example.org`, roles: ['patient'], patientId: patient })).id;
  }
  return accounts;
}

before(async () => {
  const [first, second] = await Promise.allSettled([
    startExportNode({ FHIRKEEP_EXPORT_FILE_LINES: String(FILE_LINES), FHIRKEEP_EXPORT_MAX_PER_CLIENT: '8' }),
    startExportNode({ FHIRKEEP_EXPORT_FILE_LINES: String(FILE_LINES), FHIRKEEP_EXPORT_MAX_PER_CLIENT: '1', FHIRKEEP_EXPORT_WORKERS: '0' }),
  ]);
  // Whichever started is closed by `after`, even if the other did not.
  if (first.status === 'fulfilled') main = first.value;
  if (second.status === 'fulfilled') queue = second.value;
  for (const s of [first, second]) if (s.status === 'rejected') throw s.reason;
  mainSql = postgres(main.server.databaseUrl, { max: 1, onnotice: () => {} });

  // main: five patients with weights (and three with heart rates), conditions, practitioners, a Group.
  const seed = await institutionToken(main.server.fhirkeep);
  const write = async (method: 'PUT' | 'POST', path: string, body: object): Promise<ExportedResource> => {
    const res = await fetch(`${main.server.fhirBase}/${path}`, { method, headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.ok, text);
    const resource = JSON.parse(text) as ExportedResource;
    written.set(key(resource), resource);
    return resource;
  };
  const observation = (patient: string, code: string, value: number) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patient}` },
    valueQuantity: { value, unit: code === WEIGHT ? 'kg' : '/min' },
  });
  for (const p of ['p1', 'p2', 'p3', 'p4', 'p5']) {
    await write('PUT', `Patient/${p}`, { resourceType: 'Patient', id: p, name: [{ family: p }] });
    await write('POST', 'Observation', observation(p, WEIGHT, 70));
    if (['p1', 'p2', 'p4'].includes(p)) await write('POST', 'Observation', observation(p, HEART, 60));
  }
  for (const p of ['p1', 'p3']) await write('POST', 'Condition', { resourceType: 'Condition', subject: { reference: `Patient/${p}` }, code: { text: 'asthma' } });
  for (const id of ['dr1', 'dr2']) await write('PUT', `Practitioner/${id}`, { resourceType: 'Practitioner', id });
  await write('PUT', 'Group/g1', {
    resourceType: 'Group',
    id: 'g1',
    type: 'person',
    actual: true,
    member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: `${main.server.fhirBase}/Patient/p2` } }, { entity: { reference: 'Patient/p3' }, inactive: true }, { entity: { reference: 'Practitioner/dr1' } }],
  });
  // Account holders: a Patient and an Observation (code text only) each, written by the institution.
  const mainAccounts = await addHolders(main);
  for (const [patient, id] of Object.entries(await seedHolders(main.server, Object.values(HOLDERS)))) {
    for (const path of [`Patient/${patient}`, `Observation/${id}`]) {
      const res = await fetch(`${main.server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${seed}` } });
      assert.equal(res.status, 200);
      written.set(path, (await res.json()) as ExportedResource);
    }
  }
  since = [...written.values()].map((r) => r.meta?.lastUpdated ?? '').sort().at(-1) ?? assert.fail('seeded resources have meta.lastUpdated');
  // Clocks tick in milliseconds: the updates below must come strictly after `since`.
  await sleep(5);
  await write('PUT', 'Patient/p4', { resourceType: 'Patient', id: 'p4', name: [{ family: 'p4', given: ['updated'] }] });
  const p5Weight = [...written.values()].find((r) => r.resourceType === 'Observation' && patientOf(r) === 'p5') ?? assert.fail('p5 has a weight');
  await write('PUT', `Observation/${p5Weight.id}`, { ...observation('p5', WEIGHT, 71), id: p5Weight.id });

  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bulk-es384', alg: 'ES384' };
  const jwtClient = await main.server.fhirkeep.auth.clients.register({ type: 'service', name: 'Bulk backend', scopes: ['system/*.rs'], jwks: { keys: [jwk] } });
  await main.server.fhirkeep.auth.accessFilters.setAccessFilter(jwtClient.client.id, { filter: null, reach: 'all' });
  exporter = { id: jwtClient.client.id, token: await backendToken(main.server.baseUrl, jwtClient.client.id, oidc.PrivateKeyJwt({ key: privateKey, kid: 'bulk-es384' }), 'system/*.rs') };

  const service = await registerService(main, 'Subscription service', ['system/*.rs'], false);
  for (const holder of ['alice', 'bob']) await main.server.fhirkeep.consents.grant({ accountId: mainAccounts[holder] ?? '', clientId: service.id });
  subscriber = await secretToken(main, service, 'system/*.rs');
  observationsOnly = await secretToken(main, await registerService(main, 'Observations only', ['system/Observation.rs'], true), 'system/Observation.rs');

  // queue: the same holders, one of them about to withdraw.
  const queueAccounts = await addHolders(queue);
  Object.assign(queueHolderObservations, await seedHolders(queue.server, Object.values(HOLDERS)));
  const queueService = await registerService(queue, 'Subscription service', ['system/*.rs'], false);
  await queue.server.fhirkeep.consents.grant({ accountId: queueAccounts['alice'] ?? '', clientId: queueService.id });
  const bobConsent = await queue.server.fhirkeep.consents.grant({ accountId: queueAccounts['bob'] ?? '', clientId: queueService.id });
  queueSubscriber = { ...(await secretToken(queue, queueService, 'system/*.rs')), bobConsent: bobConsent.id };
});

after(async () => {
  await mainSql?.end();
  await Promise.all([main?.close(), queue?.close()]);
});

/** Jobs in main's table, whatever their state: what a refused kick-off must not add to. */
async function jobCount(): Promise<number> {
  const [row] = await mainSql<{ n: number }[]>`select count(*)::int as n from export_jobs`;
  return row?.n ?? -1;
}

interface Expectation {
  /** The kick-off URL the manifest echoes. */
  readonly request: string;
  /** `_type`: every line's type is one of these. */
  readonly types?: readonly string[];
  /** Exactly the resources the export holds, as `Type/id`. */
  readonly keys: readonly string[];
  /** What every line must satisfy beyond that (`_typeFilter`, `_since`, compartments). */
  readonly line?: (r: ExportedResource) => void;
}

/** Downloads an export and checks its manifest and every line against what was asked. */
async function checkExport(statusUrl: string, token: string, done: Completed, fhirBase: string, e: Expectation): Promise<DownloadedExport> {
  const { manifest } = done;
  const jobId = jobIdOf(statusUrl);
  // Only the encoding may differ (a comma in a query value is sent as is, echoed as %2C).
  const asSent = (url: string) => ({ path: `${new URL(url).origin}${new URL(url).pathname}`, query: [...new URL(url).searchParams] });
  assert.deepEqual(asSent(manifest.request), asSent(e.request), `the manifest's request (${manifest.request}) is the kick-off's URL`);
  assert.equal(manifest.requiresAccessToken, true);
  const transactionTime = Date.parse(manifest.transactionTime);
  assert.ok(!Number.isNaN(transactionTime) && transactionTime <= Date.now(), `transactionTime ${manifest.transactionTime} is an instant in the past`);
  const expires = Date.parse(done.headers.get('expires') ?? '');
  assert.ok(expires > Date.now() + 3500_000 && expires <= Date.now() + 3600_000, `Expires (${done.headers.get('expires')}) is the default hour ahead`);
  assert.deepEqual(manifest.error, []);
  for (const entry of manifest.output) {
    assert.ok(entry.url.startsWith(`${fhirBase}/bulk-files/${jobId}/`), entry.url);
    assert.ok(e.types === undefined || e.types.includes(entry.type), `${entry.type} was asked for`);
    assert.ok((entry.count ?? 0) > 0 && (entry.count ?? 0) <= FILE_LINES, `${entry.url}: 1 to FHIRKEEP_EXPORT_FILE_LINES lines (${entry.count})`);
  }
  const exported = await downloadAll(manifest, token);
  assert.deepEqual(sorted(exported.resources.keys()), [...e.keys].sort());
  for (const r of exported.resources.values()) {
    assert.ok(Date.parse(r.meta?.lastUpdated ?? '') <= transactionTime, `${key(r)} as of the transaction time`);
    e.line?.(r);
  }
  return exported;
}

test('private_key_jwt backend exports at system, Patient and Group level, GET and POST: every line of every file is what was asked', async () => {
  const base = main.server.fhirBase;
  const { token } = exporter;
  const heartFilter = `Observation?code=${LOINC}|${HEART}`;
  const weightFilter = `Observation?code=${LOINC}|${WEIGHT}`;
  const gets = {
    system: '/$export?_type=Patient,Observation,Practitioner',
    since: `/$export?_type=Patient,Observation&_since=${encodeURIComponent(since)}`,
    patients: `/Patient/$export?_type=Observation,Condition&_typeFilter=${encodeURIComponent(heartFilter)}`,
    group: '/Group/g1/$export',
  };
  const parameters = (...parameter: object[]) => ({ resourceType: 'Parameters', parameter });
  const posts = {
    patients: {
      path: '/Patient/$export',
      body: parameters(
        { name: 'patient', valueReference: { reference: 'Patient/p3' } },
        { name: 'patient', valueReference: { reference: 'Patient/pA' } },
        { name: '_type', valueString: 'Patient,Observation' },
        { name: '_typeFilter', valueString: weightFilter },
      ),
    },
    system: {
      path: '/$export',
      body: parameters(
        { name: '_type', valueString: 'Condition,Practitioner,Observation' },
        { name: '_typeFilter', valueString: heartFilter },
        { name: '_outputFormat', valueString: 'application/fhir+ndjson' },
        { name: '_since', valueInstant: '2000-01-01T00:00:00Z' },
      ),
    },
  };
  const jobsBefore = await jobCount();
  const statusUrls = await Promise.all([
    ...Object.values(gets).map((path) => acceptedKickOff(base, path, token)),
    ...Object.values(posts).map(({ path, body }) => acceptedKickOff(base, path, token, { body })),
  ]);
  assert.equal(new Set(statusUrls).size, 6, 'each kick-off is a job of its own');
  for (const url of statusUrls) assert.match(url, new RegExp(`^${base.replace(/[.]/g, '\\.')}/bulk-status/[0-9a-f-]{36}$`));
  assert.equal(await jobCount(), jobsBefore + 6);
  const done = await Promise.all(statusUrls.map((url) => pollUntilDone(url, token)));
  const check = (i: number, e: Expectation) => checkExport(statusUrls[i] ?? '', token, done[i] ?? assert.fail(), base, e);
  const inCompartments = (patients: readonly string[]) => (r: ExportedResource) => assert.ok(patients.includes(patientOf(r) ?? ''), `${key(r)} is in the compartment of ${patients.join(' or ')}`);

  // System level: every Patient, Observation and Practitioner, split into files of 3 lines.
  const system = await check(0, {
    request: `${base}${gets.system}`,
    types: ['Patient', 'Observation', 'Practitioner'],
    keys: keysWhere((r) => ['Patient', 'Observation', 'Practitioner'].includes(r.resourceType)),
  });
  assert.deepEqual(system.files.filter((f) => f.entry.type === 'Patient').map((f) => f.entry.count), [3, 3, 2], 'eight Patients: files of 3, 3 and 2 lines');
  const observations = keysWhere((r) => r.resourceType === 'Observation').length;
  assert.equal(system.files.filter((f) => f.entry.type === 'Observation').length, Math.ceil(observations / FILE_LINES), `${observations} Observations, ${FILE_LINES} a file`);
  assert.equal(system.resources.get('Patient/p4')?.meta?.versionId, '2', 'the current version');

  // _since: only what changed after it.
  await check(1, {
    request: `${base}${gets.since}`,
    types: ['Patient', 'Observation'],
    keys: keysWhere((r) => ['Patient', 'Observation'].includes(r.resourceType) && (r.meta?.lastUpdated ?? '') > since),
    line: (r) => assert.ok((r.meta?.lastUpdated ?? '') > since, `${key(r)} changed after _since`),
  });
  assert.equal(keysWhere((r) => (r.meta?.lastUpdated ?? '') > since).length, 2, 'the two updates, nothing else');

  // Patient level with _typeFilter: heart rates only; Conditions unfiltered; nothing outside a compartment.
  const everyPatient = [...Object.values(HOLDERS), 'p1', 'p2', 'p3', 'p4', 'p5'];
  await check(2, {
    request: `${base}${gets.patients}`,
    types: ['Observation', 'Condition'],
    keys: keysWhere((r) => r.resourceType === 'Condition' || (r.resourceType === 'Observation' && codeOf(r) === HEART)),
    line: (r) => {
      inCompartments(everyPatient)(r);
      if (r.resourceType === 'Observation') assert.equal(codeOf(r), HEART, `${key(r)} matches the _typeFilter`);
    },
  });

  // Group level: the active Patient members' compartments (p3's membership is inactive; dr1 is no Patient).
  await check(3, {
    request: `${base}${gets.group}`,
    keys: keysWhere((r) => ['p1', 'p2'].includes(patientOf(r) ?? '')),
    line: inCompartments(['p1', 'p2']),
  });

  // POST (Bulk Data 2.0): patient narrows to two compartments, _typeFilter to weights (alice's has no LOINC code).
  await check(4, {
    request: `${base}/Patient/$export`,
    types: ['Patient', 'Observation'],
    keys: ['Patient/p3', 'Patient/pA', ...keysWhere((r) => r.resourceType === 'Observation' && patientOf(r) === 'p3' && codeOf(r) === WEIGHT)],
    line: (r) => {
      inCompartments(['p3', 'pA'])(r);
      if (r.resourceType === 'Observation') assert.equal(codeOf(r), WEIGHT);
    },
  });
  await check(5, {
    request: `${base}/$export`,
    types: ['Condition', 'Practitioner', 'Observation'],
    keys: keysWhere((r) => ['Condition', 'Practitioner'].includes(r.resourceType) || (r.resourceType === 'Observation' && codeOf(r) === HEART)),
    line: (r) => {
      if (r.resourceType === 'Observation') assert.equal(codeOf(r), HEART, `${key(r)} matches the _typeFilter`);
    },
  });
});

test('scope: a subscription service exports only its consenting holders; a narrow token narrows the export; only the requester reaches it', async () => {
  const base = main.server.fhirBase;
  const holdersExport = await acceptedKickOff(base, '/$export?_type=Patient,Observation', subscriber.token);
  const done = await pollUntilDone(holdersExport, subscriber.token);
  const consenting = (r: ExportedResource) => ['pA', 'pB'].includes(patientOf(r) ?? '');
  const exported = await checkExport(holdersExport, subscriber.token, done, base, {
    request: `${base}/$export?_type=Patient,Observation`,
    types: ['Patient', 'Observation'],
    keys: keysWhere((r) => ['Patient', 'Observation'].includes(r.resourceType) && consenting(r)),
  });
  assert.equal(exported.resources.size, 4, 'alice’s and bob’s Patient and Observation; not carol’s, not the institution’s own patients');

  // Naming a Group does not widen what the service reaches: the Group itself is outside it.
  const group = await kickOff(base, '/Group/g1/$export', subscriber.token);
  assert.equal(group.status, 404, group.text);
  assert.equal(group.json?.resourceType, 'OperationOutcome');

  // system/Observation.rs: other types are refused; by default, only Observations.
  for (const type of ['Patient', 'Binary', 'Observation,Patient']) {
    const refused = await kickOff(base, `/$export?_type=${type}`, observationsOnly.token);
    assert.equal(refused.status, 403, `_type=${type}: ${refused.text}`);
    assert.equal(refused.json?.resourceType, 'OperationOutcome');
  }
  const narrow = await acceptedKickOff(base, '/$export', observationsOnly.token);
  const narrowDone = await pollUntilDone(narrow, observationsOnly.token);
  await checkExport(narrow, observationsOnly.token, narrowDone, base, { request: `${base}/$export`, types: ['Observation'], keys: keysWhere((r) => r.resourceType === 'Observation') });

  // Only the requester: another client's token finds nothing, no token is a 401.
  const file = done.manifest.output[0] ?? assert.fail('the export has a file');
  for (const token of [exporter.token, observationsOnly.token]) {
    assert.equal((await statusRequest(holdersExport, token)).status, 404);
    assert.equal((await fetch(file.url, { headers: { authorization: `Bearer ${token}` } })).status, 404);
    assert.equal((await statusRequest(holdersExport, token, 'DELETE')).status, 404);
  }
  const anonymous = await statusRequest(holdersExport, undefined);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.json?.resourceType, 'OperationOutcome');
  assert.equal((await fetch(file.url)).status, 401);
  assert.equal((await fetch(file.url, { headers: { authorization: 'Bearer not-a-token' } })).status, 401);
  assert.equal((await statusRequest(holdersExport, subscriber.token)).status, 200, 'the others’ DELETE left it alone');
  assert.equal((await download(file, subscriber.token)).resources.length, file.count);
});

test('consent withdrawn after kick-off, before the job runs: the holder is not exported', async () => {
  const base = queue.server.fhirBase;
  const { token } = queueSubscriber;
  const readable = (await (await fetch(`${base}/Observation`, { headers: { authorization: `Bearer ${token}` } })).json()) as { entry?: { resource: { id: string } }[] };
  assert.deepEqual(sorted((readable.entry ?? []).map((e) => e.resource.id)), sorted([queueHolderObservations['pA'] ?? '', queueHolderObservations['pB'] ?? '']), 'alice and bob consented');

  const statusUrl = await acceptedKickOff(base, '/$export?_type=Patient,Observation', token);
  const queued = await statusRequest(statusUrl, token);
  const polledAt = Date.now();
  assert.equal(queued.status, 202);
  assert.equal(queued.headers.get('x-progress'), 'queued', 'no node here runs exports');
  await queue.server.fhirkeep.consents.revoke(queueSubscriber.bobConsent);

  const runner = await startSecondNode(queue);
  try {
    await sleep(Math.max(0, polledAt + Number(queued.headers.get('retry-after')) * 1000 - Date.now()));
    const done = await pollUntilDone(statusUrl, token);
    const exported = await downloadAll(done.manifest, token);
    assert.deepEqual(sorted(exported.resources.keys()), sorted(['Patient/pA', `Observation/${queueHolderObservations['pA'] ?? ''}`]), 'alice only: bob withdrew before the job ran');
  } finally {
    await runner.close();
  }
});

test('snapshot: each resource as it was at transactionTime; one created since is left out, one deleted since is in', async () => {
  const base = queue.server.fhirBase;
  // Two institutional clients (one export each may be in progress): one export plain, one with a _typeFilter.
  const [token, filteringToken] = await Promise.all([institutionToken(queue.server.fhirkeep), institutionToken(queue.server.fhirkeep, 'system/*.rs')]);
  const write = async (method: 'POST' | 'PUT' | 'DELETE', path: string, body?: object): Promise<SnapResource | undefined> => {
    const res = await fetch(`${base}/${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    assert.ok(res.ok, text);
    return text === '' ? undefined : (JSON.parse(text) as SnapResource);
  };
  const made = async (body: object) => (await write('POST', 'Observation', body)) ?? assert.fail('a create answers the resource');
  const snap = (value: string, code = 'snap') => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://example.org/codes', code }] }, valueString: value });
  const kept = await made(snap('kept'));
  const changed = await made(snap('before'));
  const deleted = await made(snap('deleted later'));
  const movedIn = await made(snap('not a snap yet', 'other'));
  const search = await fetch(`${base}/Observation?_count=100&_elements=id`, { headers: { authorization: `Bearer ${token}` } });
  const existing = (((await search.json()) as { entry?: { resource: { id: string } }[] }).entry ?? []).map((e) => `Observation/${e.resource.id}`);
  assert.equal(existing.length, Object.keys(queueHolderObservations).length + 4, 'the holders’ and these four');

  const statusUrl = await acceptedKickOff(base, '/$export?_type=Observation', token);
  const filter = 'Observation?code=http://example.org/codes|snap';
  const filteredUrl = await acceptedKickOff(base, `/$export?_type=Observation&_typeFilter=${encodeURIComponent(filter)}`, filteringToken);
  const updated = await write('PUT', `Observation/${changed.id}`, { ...snap('after'), id: changed.id });
  assert.equal(updated?.meta?.versionId, '2');
  await write('DELETE', `Observation/${deleted.id}`);
  await write('PUT', `Observation/${movedIn.id}`, { ...snap('a snap now'), id: movedIn.id });
  const created = await made(snap('created later'));

  const runner = await startSecondNode(queue);
  try {
    const [done, filtered] = await Promise.all([pollUntilDone(statusUrl, token), pollUntilDone(filteredUrl, filteringToken)]);
    const transactionTime = Date.parse(done.manifest.transactionTime);
    assert.ok(transactionTime < Date.parse(updated?.meta?.lastUpdated ?? ''), 'the update came after the kick-off');
    const exported = await downloadAll(done.manifest, token);
    assert.deepEqual(sorted(exported.resources.keys()), sorted(existing), 'what there was at kick-off: the deleted one too, not the one created since');
    assert.ok(!exported.resources.has(`Observation/${created.id}`));
    const asExported = (id: string) => exported.resources.get(`Observation/${id}`) as SnapResource | undefined;
    assert.equal(asExported(changed.id)?.meta?.versionId, '1', 'the version current at transactionTime');
    assert.equal(asExported(changed.id)?.valueString, 'before');
    assert.equal(asExported(deleted.id)?.meta?.versionId, '1', 'deleted since: exported as it was');
    assert.equal(asExported(deleted.id)?.valueString, 'deleted later');
    assert.equal(asExported(kept.id)?.valueString, 'kept');

    // With a _typeFilter, every line matches it as exported: a resource that came to match it
    // only after the kick-off is not exported as the version that did not.
    const filteredExport = await downloadAll(filtered.manifest, filteringToken);
    for (const r of filteredExport.resources.values()) assert.equal(codeOf(r), 'snap', `${key(r)} (${JSON.stringify(r.code)}) matches ${filter}`);
    assert.ok(filteredExport.resources.has(`Observation/${kept.id}`));
    assert.ok(!filteredExport.resources.has(`Observation/${movedIn.id}`), 'it did not match at transactionTime');
    assert.ok(!filteredExport.resources.has(`Observation/${created.id}`));
  } finally {
    await runner.close();
  }
  const now = await fetch(`${base}/Observation/${changed.id}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(((await now.json()) as ExportedResource).meta?.versionId, '2', 'while the resource itself moved on');
});

test('a record moved into a consenting holder’s compartment after kick-off is not exported as the other holder’s', async () => {
  const base = queue.server.fhirBase;
  const seed = await institutionToken(queue.server.fhirkeep);
  const write = async (method: 'POST' | 'PUT', path: string, body: object) => {
    const res = await fetch(`${base}/${path}`, { method, headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.ok, text);
    return JSON.parse(text) as ExportedResource;
  };
  const carols = await write('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'filed under the wrong patient' }, subject: { reference: 'Patient/pC' } });
  const { token } = queueSubscriber;
  const statusUrl = await acceptedKickOff(base, '/$export?_type=Observation', token);
  // Refiled to alice, who consented: the service may read it now, but not what it said about carol.
  await write('PUT', `Observation/${carols.id}`, { resourceType: 'Observation', id: carols.id, status: 'final', code: { text: 'refiled' }, subject: { reference: 'Patient/pA' } });
  const runner = await startSecondNode(queue);
  try {
    const done = await pollUntilDone(statusUrl, token);
    const exported = await downloadAll(done.manifest, token);
    for (const r of exported.resources.values()) assert.equal(patientOf(r), 'pA', `${key(r)} is alice’s (${r.subject?.reference}), the only holder who consents`);
    assert.ok(exported.resources.has(`Observation/${queueHolderObservations['pA'] ?? ''}`));
  } finally {
    await runner.close();
  }
});

test('bad kick-offs are 4xx OperationOutcomes and queue no job; lenient handling exports and reports what it left out', async () => {
  const base = main.server.fhirBase;
  const { token } = exporter;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => kickOff(base, path, token, { body, headers });
  const cases: [string, () => Promise<KickOff>, number][] = [
    ['no Prefer', () => kickOff(base, '/$export', token, { prefer: null }), 400],
    ['Prefer without respond-async', () => kickOff(base, '/$export', token, { prefer: 'handling=lenient' }), 400],
    ['_outputFormat=text/csv', () => kickOff(base, '/$export?_outputFormat=text/csv', token), 400],
    ['_since=yesterday', () => kickOff(base, '/$export?_since=yesterday', token), 400],
    ['_type=Nope', () => kickOff(base, '/$export?_type=Patient,Nope', token), 400],
    ['an unknown parameter', () => kickOff(base, '/$export?_elements=id', token), 400],
    ['_typeFilter with an unknown search parameter', () => kickOff(base, `/$export?_typeFilter=${encodeURIComponent('Observation?foo=bar')}`, token), 400],
    ['_typeFilter with _sort', () => kickOff(base, `/$export?_typeFilter=${encodeURIComponent('Observation?code=x&_sort=date')}`, token), 400],
    ['_typeFilter without a query', () => kickOff(base, '/$export?_typeFilter=Observation', token), 400],
    ['_typeFilter for a type _type leaves out', () => kickOff(base, `/$export?_type=Patient&_typeFilter=${encodeURIComponent('Observation?code=x')}`, token), 400],
    ['patient on GET', () => kickOff(base, '/Patient/$export?patient=Patient/p1', token), 400],
    ['patient on a system export', () => post('/$export', { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/p1' } }] }), 400],
    ['a patient that is no Patient reference', () => post('/Patient/$export', { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Group/g1' } }] }), 400],
    ['POST with a Patient for a body', () => post('/$export', { resourceType: 'Patient' }), 400],
    ['POST with a parameter of two values', () => post('/$export', { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient', valueCode: 'Patient' }] }), 400],
    ['POST with a text body', () => kickOff(base, '/$export', token, { method: 'POST', headers: { 'content-type': 'text/plain' } }), 415],
    ['Patient-level _type outside the compartment', () => kickOff(base, '/Patient/$export?_type=Practitioner', token), 400],
    ['Accept: application/xml', () => kickOff(base, '/$export', token, { headers: { accept: 'application/xml' } }), 406],
    ['a Group that does not exist', () => kickOff(base, '/Group/nope/$export', token), 404],
    ['a Group id that is SQL', () => kickOff(base, `/Group/${encodeURIComponent("g1' or '1'='1")}/$export`, token), 400],
    ['a token without Binary', () => kickOff(base, '/$export?_type=Binary', observationsOnly.token), 403],
    ['no token', () => kickOff(base, '/$export', undefined), 401],
  ];
  const jobs = await jobCount();
  for (const [label, request, status] of cases) {
    const res = await request();
    assert.equal(res.status, status, `${label}: ${res.text}`);
    assert.equal(res.json?.resourceType, 'OperationOutcome', label);
    assert.equal(res.statusUrl, undefined, label);
  }
  assert.equal(await jobCount(), jobs, 'no bad kick-off queued a job');

  // handling=lenient: the unknown type is left out, and the error file says so.
  const lenient = await acceptedKickOff(base, '/$export?_type=Patient,Nope', token, { prefer: 'respond-async, handling=lenient' });
  assert.equal(await jobCount(), jobs + 1);
  const done = await pollUntilDone(lenient, token);
  assert.deepEqual([...new Set(done.manifest.output.map((e) => e.type))], ['Patient']);
  assert.equal(done.manifest.error.length, 1);
  const [errors] = (await downloadAll(done.manifest, token)).errors;
  assert.equal(errors?.entry.type, 'OperationOutcome');
  const diagnostics = (errors?.resources ?? []).flatMap((r) => r.issue ?? []).map((i) => i.diagnostics ?? '');
  assert.ok(diagnostics.some((d) => d.includes('Nope')), `the error file names the type it left out: ${diagnostics.join('; ')}`);

  // Status and file URLs that name nothing, however they are spelled.
  for (const id of ['not-a-uuid', randomUUID(), encodeURIComponent("'; drop table export_jobs; --"), '..%2F..%2Fetc']) {
    assert.equal((await statusRequest(`${base}/bulk-status/${id}`, token)).status, 404, id);
    assert.equal((await statusRequest(`${base}/bulk-status/${id}`, token, 'DELETE')).status, 404, id);
  }
  const fileBase = `${base}/bulk-files/${jobIdOf(lenient)}`;
  for (const name of ['..%2F..%2F..%2F..%2Fetc%2Fpasswd', '..%2Fnot-this-job%2FPatient-1.ndjson', 'Patient-99.ndjson', 'Patient-1.ndjson%00']) {
    const res = await fetch(`${fileBase}/${name}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404, name);
  }
  assert.equal((await fetch(`${base}/bulk-files/..%2F..%2F..%2Fetc/passwd`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
  assert.equal((await fetch(`${fileBase}/Patient-1.ndjson`, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'the file itself is there');
});

test('429: polling sooner than Retry-After, and kicking off more exports than a client may have in progress', async () => {
  const base = queue.server.fhirBase;
  const [first, second] = await Promise.all([institutionToken(queue.server.fhirkeep, 'system/*.rs'), institutionToken(queue.server.fhirkeep, 'system/*.rs')]);
  const statusUrl = await acceptedKickOff(base, '/$export?_type=Patient', first);
  const polled = await statusRequest(statusUrl, first);
  assert.equal(polled.status, 202);
  assert.equal(polled.headers.get('retry-after'), '1');
  const tooSoon = await statusRequest(statusUrl, first);
  assert.equal(tooSoon.status, 429, 'a queued job is in progress: polled again at once');
  assert.equal(tooSoon.headers.get('retry-after'), '1');
  assert.equal(tooSoon.json?.resourceType, 'OperationOutcome');
  await sleep(1000);
  assert.equal((await statusRequest(statusUrl, first)).status, 202, 'after Retry-After the poll is answered');

  // FHIRKEEP_EXPORT_MAX_PER_CLIENT=1: the client's second export waits for its first; another client's does not.
  const again = await kickOff(base, '/$export?_type=Observation', first);
  assert.equal(again.status, 429, again.text);
  assert.equal(again.headers.get('retry-after'), '1');
  assert.equal(again.json?.resourceType, 'OperationOutcome');
  const other = await acceptedKickOff(base, '/$export?_type=Observation', second);
  // Cancelled, the first no longer counts.
  assert.equal((await statusRequest(statusUrl, first, 'DELETE')).status, 202);
  const next = await acceptedKickOff(base, '/$export?_type=Observation', first);
  for (const [url, token] of [[next, first], [other, second]] as const) assert.equal((await statusRequest(url, token, 'DELETE')).status, 202);
});

test('cancel: DELETE answers 202, then the export is gone (status, files, directory); a cancelled queued job never runs', async () => {
  const base = main.server.fhirBase;
  const { token } = exporter;
  const statusUrl = await acceptedKickOff(base, '/$export?_type=Patient', token);
  const done = await pollUntilDone(statusUrl, token);
  const dir = main.jobDir(jobIdOf(statusUrl));
  assert.deepEqual(readdirSync(dir).sort(), done.manifest.output.map((e) => e.url.slice(e.url.lastIndexOf('/') + 1)).sort(), 'the files are on disk');
  const cancelled = await statusRequest(statusUrl, token, 'DELETE');
  assert.equal(cancelled.status, 202, cancelled.text);
  assert.equal((await statusRequest(statusUrl, token)).status, 404);
  for (const e of done.manifest.output) assert.equal((await fetch(e.url, { headers: { authorization: `Bearer ${token}` } })).status, 404);
  assert.equal((await statusRequest(statusUrl, token, 'DELETE')).status, 404, 'cancelled once');
  await waitUntilGone(dir);

  // Queued on a node without workers, cancelled, then a node with workers comes: it runs only the live job.
  const queueBase = queue.server.fhirBase;
  const [doomedToken, liveToken] = await Promise.all([institutionToken(queue.server.fhirkeep, 'system/*.rs'), institutionToken(queue.server.fhirkeep, 'system/*.rs')]);
  const doomed = await acceptedKickOff(queueBase, '/$export?_type=Patient', doomedToken);
  const live = await acceptedKickOff(queueBase, '/$export?_type=Patient', liveToken);
  assert.equal((await statusRequest(doomed, doomedToken, 'DELETE')).status, 202);
  const runner = await startSecondNode(queue);
  try {
    await pollUntilDone(live, liveToken);
    assert.equal(existsSync(queue.jobDir(jobIdOf(live))), true);
    assert.equal(existsSync(queue.jobDir(jobIdOf(doomed))), false, 'the job queued before it was not run');
    assert.equal((await statusRequest(doomed, doomedToken)).status, 404);
  } finally {
    await runner.close();
  }
});

test('expiry: with FHIRKEEP_EXPORT_KEEP_SECONDS=1 the manifest expires a second after completion, and the export is gone', async () => {
  const base = queue.server.fhirBase;
  const token = await institutionToken(queue.server.fhirkeep, 'system/*.rs');
  const statusUrl = await acceptedKickOff(base, '/$export?_type=Patient', token);
  const jobId = jobIdOf(statusUrl);
  const runner = await startSecondNode(queue, { FHIRKEEP_EXPORT_KEEP_SECONDS: '1' });
  try {
    // A second is shorter than the status poll interval, so completion is watched on the file
    // URL (404 until the job completes; not rate-limited), whose name the runner gives each type's first file.
    const fileUrl = `${base}/bulk-files/${jobId}/Patient-1.ndjson`;
    const until = Date.now() + 10_000;
    while ((await fetch(fileUrl, { method: 'GET', headers: { authorization: `Bearer ${token}` } })).status !== 200 && Date.now() < until) await sleep(20);
    const status = await statusRequest(statusUrl, token);
    assert.equal(status.status, 200, status.text);
    const expires = Date.parse(status.headers.get('expires') ?? '');
    assert.ok(Math.abs(expires - Date.now()) <= 1500, `Expires (${status.headers.get('expires')}) is about a second ahead`);
    const [file] = (status.json as { output: { type: string; url: string; count: number }[] }).output;
    assert.ok(file !== undefined);
    // HTTP dates drop the milliseconds: the job expires before Expires + 1 s.
    await sleep(Math.max(0, expires + 1000 - Date.now()));
    assert.equal((await statusRequest(statusUrl, token)).status, 404, 'expired');
    assert.equal((await fetch(file.url, { headers: { authorization: `Bearer ${token}` } })).status, 404);
    await waitUntilGone(queue.jobDir(jobId));
  } finally {
    await runner.close();
  }
});
