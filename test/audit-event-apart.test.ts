/**
 * AuditEvent is the audit trail, served from its own table (src/rest/audit-events.ts), never from
 * the resources table: the CapabilityStatement offers on it exactly what that handler answers, and
 * every request that would look for AuditEvents among the stored resources is refused with a 400
 * saying where the trail is (or, for a lenient export, a warning in the error file), never answered
 * with a silent nothing. A "legacy" AuditEvent written into the resources table (as a FHIR create
 * did before the trail) stays out of system searches, `$everything` and exports.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemScope } from '../src/access/scope.js';
import { validateResource } from '../src/fhir/validator.js';
import { createIndexer } from '../src/search/index/indexer.js';
import { r4ParamRegistry } from '../src/search/params/param-registry.js';
import { createResourceStore } from '../src/storage/resource-store.js';
import { acceptedKickOff, downloadAll, kickOff, pollUntilDone, startExportNode, type ExportNode } from './support/bulk-export.js';
import { typeOnlyClassifier } from './support/classifier.js';
import { foreignAuditEvent } from './support/foreign-audit-event.js';
import { httpClient, type HttpClient } from './support/http.js';
import { institutionToken } from './support/institution.js';

let node: ExportNode;
let fhir: HttpClient;
let token: string;
let base: string;

before(async () => {
  node = await startExportNode();
  base = node.server.fhirBase;
  fhir = httpClient(base);
  token = await institutionToken(node.server.fhirkeep);
  const put = await get('/Patient/ap1', { method: 'PUT', body: { resourceType: 'Patient', id: 'ap1', gender: 'female' } });
  assert.equal(put.status, 201, put.text);
  const store = createResourceStore(node.server.fhirkeep.database, createIndexer(r4ParamRegistry()), typeOnlyClassifier);
  await store.create(systemScope('test'), foreignAuditEvent({ patient: 'ap1' }));
});
after(() => node?.close());

function get(path: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return fhir(options.method ?? 'GET', path, { ...(options.body === undefined ? {} : { body: options.body }), headers: { authorization: `Bearer ${token}`, ...options.headers } });
}

const where = (): string => `AuditEvent is the audit trail, searched on its own at ${base}/AuditEvent`;

interface ResourceEntry {
  type: string;
  searchInclude?: string[];
  searchRevInclude?: string[];
  [key: string]: unknown;
}

test('the CapabilityStatement offers on AuditEvent exactly what the trail answers; other types keep theirs; the statement is valid R4', async () => {
  const res = await fhir('GET', '/metadata');
  assert.equal(res.status, 200);
  const outcome = validateResource(res.json);
  assert.ok(outcome.ok, JSON.stringify(outcome));
  const resources = res.json.rest[0].resource as ResourceEntry[];
  const spec = (code: string, type: string) => ({ name: code, definition: `http://hl7.org/fhir/SearchParameter/AuditEvent-${code}`, type });
  assert.deepEqual(
    resources.find((r) => r.type === 'AuditEvent'),
    {
      type: 'AuditEvent',
      profile: 'http://hl7.org/fhir/StructureDefinition/AuditEvent',
      interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'search-type' }],
      searchParam: [
        spec('action', 'token'),
        spec('agent', 'reference'),
        spec('date', 'date'),
        spec('entity', 'reference'),
        spec('outcome', 'token'),
        spec('patient', 'reference'),
        spec('subtype', 'token'),
        spec('type', 'token'),
      ],
    },
    'read, vread (_history/1), search; no writes, history, includes, conditional or versioning flags',
  );
  for (const r of resources) {
    assert.ok(!(r.searchRevInclude ?? []).some((v) => v.startsWith('AuditEvent:')), `${r.type} offers no _revinclude of AuditEvents`);
  }
  const patient = resources.find((r) => r.type === 'Patient');
  assert.deepEqual(
    (patient?.interaction as { code: string }[]).map((i) => i.code),
    ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'],
  );
  assert.equal(patient?.conditionalCreate, true);
  assert.ok((patient?.searchRevInclude ?? []).includes('Observation:subject'));
});

test('a system search naming AuditEvent in _type is a 400 saying where the trail is; without _type it covers the stored types only', async () => {
  for (const path of ['?_type=AuditEvent', '?_type=Patient,AuditEvent', '?_type=Patient&_type=AuditEvent', '?_type=AuditEvent&_id=1']) {
    const res = await get(path);
    assert.equal(res.status, 400, `${path}: ${res.text}`);
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.equal(res.json.issue[0].diagnostics, `_type: ${where()}`, path);
  }
  const all = await get('?_count=100');
  assert.equal(all.status, 200, all.text);
  const types = new Set((all.json.entry ?? []).map((e: { resource: { resourceType: string } }) => e.resource.resourceType));
  assert.ok(types.has('Patient'), [...types].join());
  assert.ok(!types.has('AuditEvent'), 'a legacy AuditEvent in the resources table is not served as if it were the trail');
});

test('_revinclude, _include, _has and chains through AuditEvent are 400s, not empty answers', async () => {
  for (const path of [
    '/Patient?_revinclude=AuditEvent:patient',
    '/Patient?_revinclude=AuditEvent:*',
    '/Provenance?_include=Provenance:target:AuditEvent',
    '/Patient?_has:AuditEvent:patient:outcome=4',
    '/Provenance?target:AuditEvent.outcome=4',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 400, `${path}: ${res.text}`);
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.ok(res.json.issue[0].diagnostics.endsWith(where()), `${path}: ${res.json.issue[0].diagnostics}`);
  }
});

test('$everything does not include AuditEvents and says nothing of them; _type=AuditEvent is a 400', async () => {
  const res = await get('/Patient/ap1/$everything');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    res.json.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType),
    ['Patient'],
    'the legacy AuditEvent about ap1 is not part of her record',
  );
  for (const path of ['/Patient/ap1/$everything?_type=AuditEvent', '/Patient/ap1/$everything?_type=Observation,AuditEvent']) {
    const refused = await get(path);
    assert.equal(refused.status, 400, `${path}: ${refused.text}`);
    assert.equal(refused.json.issue[0].diagnostics, `_type: ${where()}`);
  }
});

test('type and instance history of AuditEvent are 405s allowing no method; system history has no _type to name it', async () => {
  for (const path of ['/AuditEvent/_history', '/AuditEvent/_history?_since=2024-01-01T00:00:00Z', '/AuditEvent/1/_history']) {
    const res = await get(path);
    assert.equal(res.status, 405, `${path}: ${res.text}`);
    assert.equal(res.headers.get('allow'), '');
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.match(res.json.issue[0].diagnostics, /AuditEvents have no history/);
  }
  const history = await get('/_history?_count=100');
  assert.equal(history.status, 200, history.text);
  assert.equal((await get('/_history?_type=AuditEvent')).status, 400, 'system history takes no _type');
});

test('$export: _type or _typeFilter naming AuditEvent is a 400 and queues nothing; lenient handling exports the rest and says why in the error file; a default export leaves the trail out', async () => {
  for (const path of ['/$export?_type=AuditEvent', '/$export?_type=Patient,AuditEvent', `/$export?_typeFilter=${encodeURIComponent('AuditEvent?outcome=4')}`, '/Patient/$export?_type=AuditEvent']) {
    const res = await kickOff(base, path, token);
    assert.equal(res.status, 400, `${path}: ${res.text}`);
    assert.equal(res.json?.resourceType, 'OperationOutcome');
    assert.equal(res.statusUrl, undefined);
    assert.match(JSON.stringify(res.json), /AuditEvent is the audit trail/);
  }

  const lenient = await pollUntilDone(await acceptedKickOff(base, '/$export?_type=Patient,AuditEvent', token, { prefer: 'respond-async, handling=lenient' }), token);
  assert.deepEqual([...new Set(lenient.manifest.output.map((e) => e.type))], ['Patient']);
  const [errors] = (await downloadAll(lenient.manifest, token)).errors;
  const diagnostics = (errors?.resources ?? []).flatMap((r) => r.issue ?? []).map((i) => i.diagnostics);
  assert.deepEqual(diagnostics, [`_type: ${where()}`]);

  const everything = await pollUntilDone(await acceptedKickOff(base, '/$export', token), token);
  const exported = new Set(everything.manifest.output.map((e) => e.type));
  assert.ok(exported.has('Patient'), [...exported].join());
  assert.ok(!exported.has('AuditEvent'), 'the legacy AuditEvent row is not exported as if it were the trail');
});
