import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { bodyParameters, parseExportRequest, queryParameters, type ExportLevel, type ExportParameter } from './export-request.js';

const TYPES = new Set(['Patient', 'Observation', 'Condition', 'Provenance', 'Group', 'AuditEvent']);
const BASE = 'http://fhirkeep.test/fhir';
const SYSTEM: ExportLevel = { kind: 'system' };

function parse(params: Record<string, string> | [string, string][], options: { level?: ExportLevel; lenient?: boolean; post?: boolean } = {}) {
  const list: ExportParameter[] = (Array.isArray(params) ? params : Object.entries(params)).map(([name, value]) => ({ name, value }));
  return parseExportRequest(list, { level: options.level ?? SYSTEM, resourceTypes: TYPES, fhirBase: BASE, lenient: options.lenient ?? false, post: options.post ?? false });
}

function refused(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (e: unknown) => e instanceof FhirkeepError && e.status === 400 && pattern.test(e.message));
}

describe('parseExportRequest', () => {
  test('no parameters: every type, no filter, everyone', () => {
    assert.deepEqual(parse({}), { level: SYSTEM, types: [], since: undefined, typeFilters: {}, patients: undefined, includeProvenance: false, warnings: [] });
  });

  test('_type keeps the order given, comma-separated or repeated, without repeats', () => {
    assert.deepEqual(parse([['_type', 'Observation,Patient'], ['_type', 'Condition,Observation']]).types, ['Observation', 'Patient', 'Condition']);
  });

  test('the three NDJSON spellings are accepted; any other format is a 400 even when lenient', () => {
    for (const f of ['application/fhir+ndjson', 'application/ndjson', 'ndjson']) assert.equal(parse({ _outputFormat: f }).warnings.length, 0);
    refused(() => parse({ _outputFormat: 'text/csv' }, { lenient: true }), /_outputFormat/);
  });

  test('_since must be a FHIR instant, given once; it is kept as an ISO instant', () => {
    assert.equal(parse({ _since: '2024-01-31T12:00:00+01:00' }).since, '2024-01-31T11:00:00.000Z');
    refused(() => parse({ _since: 'yesterday' }), /_since must be a FHIR instant/);
    refused(() => parse({ _since: "2024-01-01' or 1=1--" }), /_since/);
    refused(() => parse([['_since', '2024-01-01T00:00:00Z'], ['_since', '2024-02-01T00:00:00Z']]), /once/);
  });

  test('an unknown type or parameter is a 400, or with lenient handling a warning for the error file', () => {
    refused(() => parse({ _type: 'Nope' }), /unknown resource type "Nope"/);
    refused(() => parse({ _elements: 'id' }), /does not support the parameter _elements/);
    const lenient = parse({ _type: 'Patient,Nope', _elements: 'id' }, { lenient: true });
    assert.deepEqual(lenient.types, ['Patient']);
    assert.deepEqual(lenient.warnings, ['_type: unknown resource type "Nope"', '$export does not support the parameter _elements']);
  });

  test('AuditEvent, the audit trail, is not exported: in _type or _typeFilter a 400 saying where it is searched, or a warning when lenient', () => {
    refused(() => parse({ _type: 'Patient,AuditEvent' }), /^_type: AuditEvent is the audit trail, searched on its own at http:\/\/fhirkeep.test\/fhir\/AuditEvent$/);
    refused(() => parse({ _typeFilter: 'AuditEvent?patient=p1' }), /^_typeFilter: AuditEvent is the audit trail/);
    const lenient = parse([['_type', 'AuditEvent,Patient'], ['_typeFilter', 'AuditEvent?outcome=4']], { lenient: true });
    assert.deepEqual(lenient.types, ['Patient']);
    assert.deepEqual(lenient.typeFilters, {});
    assert.deepEqual(lenient.warnings, [`_type: AuditEvent is the audit trail, searched on its own at ${BASE}/AuditEvent`, `_typeFilter: AuditEvent is the audit trail, searched on its own at ${BASE}/AuditEvent`]);
  });

  test('_typeFilter: a query per type, OR-ed; it must be a query, of a known type, and inside _type', () => {
    assert.deepEqual(parse([['_typeFilter', 'Observation?code=1'], ['_typeFilter', 'Observation?status=final']]).typeFilters, { Observation: ['code=1', 'status=final'] });
    refused(() => parse({ _typeFilter: 'Observation' }), /must be a search query/);
    refused(() => parse({ _typeFilter: 'Observation?' }), /must be a search query/);
    refused(() => parse({ _typeFilter: 'Nope?x=1' }), /unknown resource type/);
    refused(() => parse({ _type: 'Patient', _typeFilter: 'Observation?code=1' }), /_type leaves out/);
    assert.deepEqual(parse({ _type: 'Patient', _typeFilter: 'Observation?code=1' }, { lenient: true }).typeFilters, {});
  });

  test('patient: POST only, Patient references only, and not at system level', () => {
    const group: ExportLevel = { kind: 'group', groupId: 'g1' };
    assert.deepEqual(parse([['patient', 'Patient/a'], ['patient', 'Patient/b'], ['patient', 'Patient/a']], { level: group, post: true }).patients, ['a', 'b']);
    refused(() => parse({ patient: 'Patient/a' }, { level: group }), /POST/);
    refused(() => parse({ patient: 'Observation/a' }, { level: group, post: true }), /must reference a Patient/);
    refused(() => parse({ patient: "Patient/a';drop table resources" }, { level: group, post: true }), /must reference a Patient/);
    refused(() => parse({ patient: 'Patient/a' }, { post: true }), /not to a system export/);
  });

  test('includeAssociatedData: Provenance is supported, anything else refused unless lenient', () => {
    assert.equal(parse({ includeAssociatedData: 'RelevantProvenanceResources' }).includeProvenance, true);
    refused(() => parse({ includeAssociatedData: '_custom' }), /not supported/);
    assert.equal(parse({ includeAssociatedData: '_custom' }, { lenient: true }).warnings.length, 1);
  });
});

describe('kick-off parameters', () => {
  test('a query string: every parameter but _format and _pretty, repeats kept', () => {
    assert.deepEqual(queryParameters(new URLSearchParams('_type=A,B&_format=json&_type=C')), [
      { name: '_type', value: 'A,B' },
      { name: '_type', value: 'C' },
    ]);
  });

  test('a Parameters body: each parameter with its one value, a reference as its text', () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: '_type', valueString: 'Patient' },
        { name: '_since', valueInstant: '2024-01-01T00:00:00Z' },
        { name: 'patient', valueReference: { reference: 'Patient/a' } },
      ],
    };
    assert.deepEqual(bodyParameters(body), [
      { name: '_type', value: 'Patient' },
      { name: '_since', value: '2024-01-01T00:00:00Z' },
      { name: 'patient', value: 'Patient/a' },
    ]);
    assert.deepEqual(bodyParameters({ resourceType: 'Parameters' }), []);
  });

  test('a body that is not a Parameters resource, or a parameter without exactly one text value, is a 400', () => {
    for (const body of [null, [], { resourceType: 'Patient' }, { resourceType: 'Parameters', parameter: {} }]) {
      assert.throws(() => bodyParameters(body), (e: unknown) => e instanceof FhirkeepError && e.status === 400);
    }
    for (const p of [{ valueString: 'x' }, { name: '_type' }, { name: '_type', valueString: 'a', valueCode: 'b' }, { name: '_type', valueInteger: 1 }, { name: 'patient', valueReference: {} }]) {
      assert.throws(() => bodyParameters({ resourceType: 'Parameters', parameter: [p] }), (e: unknown) => e instanceof FhirkeepError && e.status === 400);
    }
  });
});
