import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCapabilityStatement, type CapabilityInput } from './capability-statement.js';
import { loadDefinitions } from './definitions.js';
import { validateResource } from './validator.js';

interface Rest {
  mode: string;
  interaction?: { code: string }[];
  searchParam?: { name: string; definition: string; type: string }[];
  resource: Record<string, unknown>[];
}

const input: CapabilityInput = {
  baseUrl: 'http://localhost:8080/fhir',
  softwareVersion: '1.2.3',
  resourceTypes: loadDefinitions().resourceTypes,
  interactions: ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create'],
  systemInteractions: ['transaction', 'batch', 'history-system'],
  date: new Date('2024-05-01T12:00:00Z'),
};
const restOf = (cs: Record<string, unknown>): Rest => (cs.rest as Rest[])[0] as Rest;

test('the CapabilityStatement is valid R4 and describes a JSON-only server instance', () => {
  const cs = buildCapabilityStatement(input);
  const outcome = validateResource(cs);
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.equal(cs.kind, 'instance');
  assert.equal(cs.fhirVersion, '4.0.1');
  assert.equal(cs.date, '2024-05-01T12:00:00.000Z');
  assert.deepEqual(cs.format, ['application/fhir+json', 'json']);
  assert.deepEqual(cs.patchFormat, ['application/json-patch+json']);
  assert.deepEqual(cs.software, { name: 'Fhirkeep', version: '1.2.3' });
  assert.deepEqual(cs.implementation, { description: 'Fhirkeep FHIR R4 server', url: 'http://localhost:8080/fhir' });
  const rest = restOf(cs);
  assert.equal(rest.mode, 'server');
  assert.deepEqual(rest.interaction, [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }]);
});

test('one resource entry per R4 type of the definitions, with the interactions and flags given', () => {
  const rest = restOf(buildCapabilityStatement(input));
  assert.deepEqual(
    rest.resource.map((r) => r.type),
    [...loadDefinitions().resourceTypes].sort(),
  );
  const observation = rest.resource.find((r) => r.type === 'Observation');
  assert.deepEqual(observation, {
    type: 'Observation',
    profile: 'http://hl7.org/fhir/StructureDefinition/Observation',
    interaction: input.interactions.map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'full-support',
    conditionalUpdate: true,
    conditionalDelete: 'single',
  });
});

test('search parameters are listed under their types; Resource ones once for all', () => {
  const { searchParameters } = loadDefinitions();
  const pick = (id: string) => searchParameters.find((p) => p.id === id) ?? assert.fail(id);
  const cs = buildCapabilityStatement({
    ...input,
    interactions: [...input.interactions, 'search-type'],
    systemInteractions: [...input.systemInteractions, 'search-system'],
    searchParams: [pick('individual-given'), pick('Resource-id'), pick('Resource-lastUpdated'), pick('clinical-code')],
  });
  assert.ok(validateResource(cs).ok);
  const rest = restOf(cs);
  assert.deepEqual(rest.searchParam, [
    { name: '_id', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id', type: 'token' },
    { name: '_lastUpdated', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated', type: 'date' },
  ]);
  const paramsOf = (type: string) => rest.resource.find((r) => r.type === type)?.searchParam;
  assert.deepEqual(paramsOf('Practitioner'), [{ name: 'given', definition: 'http://hl7.org/fhir/SearchParameter/individual-given', type: 'string' }]);
  assert.deepEqual(paramsOf('Observation'), [{ name: 'code', definition: 'http://hl7.org/fhir/SearchParameter/clinical-code', type: 'token' }]);
  assert.equal(paramsOf('Organization'), undefined, 'no empty arrays');
});

test('nothing to offer is left out rather than listed empty, and the statement stays valid', () => {
  const cs = buildCapabilityStatement({ ...input, interactions: [], systemInteractions: [] });
  assert.ok(validateResource(cs).ok);
  const rest = restOf(cs);
  assert.equal(rest.interaction, undefined);
  assert.equal(rest.resource[0]?.interaction, undefined);
});

test('rest.security names SMART-on-FHIR and carries the oauth-uris extension; still valid R4', () => {
  const base = 'http://localhost:8080';
  const oauth = { authorize: `${base}/oauth2/authorize`, token: `${base}/oauth2/token`, revoke: `${base}/oauth2/revoke`, introspect: `${base}/oauth2/introspect`, manage: `${base}/portal` };
  const cs = buildCapabilityStatement({ ...input, oauth });
  assert.ok(validateResource(cs).ok);
  const security = (restOf(cs) as unknown as { security: { service: { coding: { code: string }[] }[]; extension: { url: string; extension: { url: string; valueUri: string }[] }[] } }).security;
  assert.equal(security.service[0]?.coding[0]?.code, 'SMART-on-FHIR');
  const uris = security.extension.find((e) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
  assert.deepEqual(Object.fromEntries((uris?.extension ?? []).map((e) => [e.url, e.valueUri])), oauth);
  assert.equal((restOf(buildCapabilityStatement(input)) as unknown as { security?: unknown }).security, undefined);
});

test('a type served apart lists only its own interactions and search parameters: no conditional or versioning flags, no includes; others unchanged', () => {
  const { searchParameters } = loadDefinitions();
  const pick = (id: string) => searchParameters.find((p) => p.id === id) ?? assert.fail(id);
  const cs = buildCapabilityStatement({
    ...input,
    searchParams: [pick('Resource-id'), pick('clinical-code')],
    searchIncludes: (type) => [`${type}:subject`],
    searchRevIncludes: () => ['Provenance:target'],
    servedApart: (type) => (type === 'AuditEvent' ? { interactions: ['read', 'search-type'], searchParams: [pick('AuditEvent-patient'), pick('AuditEvent-date')] } : undefined),
  });
  const outcome = validateResource(cs);
  assert.ok(outcome.ok, JSON.stringify(outcome));
  const rest = restOf(cs);
  assert.deepEqual(
    rest.resource.find((r) => r.type === 'AuditEvent'),
    {
      type: 'AuditEvent',
      profile: 'http://hl7.org/fhir/StructureDefinition/AuditEvent',
      interaction: [{ code: 'read' }, { code: 'search-type' }],
      searchParam: [
        { name: 'date', definition: 'http://hl7.org/fhir/SearchParameter/AuditEvent-date', type: 'date' },
        { name: 'patient', definition: 'http://hl7.org/fhir/SearchParameter/AuditEvent-patient', type: 'reference' },
      ],
    },
  );
  const observation = rest.resource.find((r) => r.type === 'Observation');
  assert.deepEqual(observation?.interaction, input.interactions.map((code) => ({ code })));
  assert.equal(observation?.conditionalUpdate, true);
  assert.deepEqual(observation?.searchInclude, ['Observation:subject']);
  assert.deepEqual(observation?.searchRevInclude, ['Provenance:target']);
});
