import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditReach } from '../access/audit-access.js';
import { validateResource } from '../fhir/validator.js';
import { auditEventResource } from './audit-event-resource.js';
import type { StoredAuditRow } from './audit-row.js';

const BASE = 'https://fhir.example/fhir';
const AUDITOR: AuditReach = { kind: 'every-event', acting: undefined };
const HANA: AuditReach = { kind: 'patient', patientId: 'hana', acting: undefined };

function row(overrides: Partial<StoredAuditRow> = {}): StoredAuditRow {
  return {
    seq: '42',
    recorded: new Date('2026-12-03T14:02:05.123Z'),
    type: 'rest',
    subtype: 'search-type',
    action: 'E',
    outcome: 0,
    outcomeDesc: undefined,
    accountId: 'acc-doc',
    clientId: 'app-1',
    onBehalfOf: undefined,
    ip: '203.0.113.9',
    requestId: 'req-7',
    entity: ['Observation/o1', 'Observation/o2'],
    query: 'Observation?patient=hana,other',
    patientIds: ['hana', 'other'],
    detail: { hits: 2 },
    ...overrides,
  };
}

function valid(resource: unknown): void {
  const outcome = validateResource(JSON.parse(JSON.stringify(resource)));
  assert.ok(outcome.ok, JSON.stringify(outcome));
}

test('an auditor sees the row as written, as a valid R4 AuditEvent with BALP-style agents and entities', () => {
  const e = auditEventResource(row(), AUDITOR, BASE);
  valid(e);
  assert.deepEqual(e.type, { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' });
  assert.deepEqual(e.subtype, [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'search-type' }]);
  assert.equal(e.recorded, '2026-12-03T14:02:05.123Z');
  assert.equal(e.outcome, '0');
  assert.deepEqual(
    e.agent.map((a) => [a.who?.identifier?.value, a.requestor, a.network?.address]),
    [
      ['acc-doc', true, '203.0.113.9'],
      ['app-1', false, undefined],
    ],
  );
  assert.deepEqual(e.source.observer.identifier, { system: 'urn:ietf:rfc:3986', value: BASE });
  const entities = e.entity ?? [];
  assert.deepEqual(
    entities.filter((x) => x.role?.code === '1').map((x) => [x.what?.reference, x.role?.system]),
    [
      ['Patient/hana', 'http://terminology.hl7.org/CodeSystem/object-role'],
      ['Patient/other', 'http://terminology.hl7.org/CodeSystem/object-role'],
    ],
  );
  assert.deepEqual(entities.filter((x) => x.role?.code === '4').map((x) => x.what?.reference), ['Observation/o1', 'Observation/o2']);
  const query = entities.find((x) => x.query !== undefined);
  assert.equal(Buffer.from(query?.query ?? '', 'base64').toString(), 'Observation?patient=hana,other');
  assert.deepEqual(entities.find((x) => x.name === 'request')?.detail, [
    { type: 'request-id', valueString: 'req-7' },
    { type: 'hits', valueString: '2' },
  ]);
});

test("a patient's view of a search that also touched another patient names only her, no query, no address, no other patient's record ids", () => {
  const e = auditEventResource(row({ outcomeDesc: 'Patient/other is not shared', entity: ['Observation/o1', 'Patient/other', 'Observation/o2'] }), HANA, BASE);
  valid(e);
  const text = JSON.stringify(e);
  for (const leak of ['other', 'o1', 'o2', '203.0.113.9', 'req-7', 'hits', Buffer.from('Observation?patient=hana,other').toString('base64')]) {
    assert.doesNotMatch(text, new RegExp(leak), `${leak} is not shown to the patient`);
  }
  assert.deepEqual(
    (e.entity ?? []).map((x) => x.what),
    [{ reference: 'Patient/hana' }, { type: 'Observation' }],
    'her own Patient, and the type of what was read',
  );
  assert.equal(e.outcomeDesc, undefined);
  assert.deepEqual(e.agent.map((a) => a.who?.identifier?.value), ['acc-doc', 'app-1'], 'who read her records');
});

test("a patient's view of an event about her alone names the records read, but never another Patient", () => {
  const e = auditEventResource(row({ patientIds: ['hana'], entity: ['Observation/o1', 'Patient/hana', 'Patient/stranger'] }), HANA, BASE);
  valid(e);
  assert.deepEqual((e.entity ?? []).map((x) => x.what?.reference), ['Patient/hana', 'Observation/o1']);
});

test('security events: DICOM codes, an organization acted for, an unauthenticated caller, no entity at all', () => {
  const login = auditEventResource(
    row({ type: '110114', subtype: 'login', action: 'E', outcome: 4, accountId: undefined, clientId: undefined, entity: [], query: undefined, patientIds: [], detail: {}, requestId: undefined }),
    AUDITOR,
    BASE,
  );
  valid(login);
  assert.deepEqual(login.type, { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' });
  assert.deepEqual(login.subtype, [{ system: 'http://fhirkeep.org/fhir/CodeSystem/audit-event-subtype', code: 'login' }]);
  assert.deepEqual(login.agent, [{ name: 'unauthenticated caller', requestor: true, network: { address: '203.0.113.9', type: '2' } }]);
  assert.equal(login.entity, undefined);

  const broker = auditEventResource(row({ accountId: undefined, onBehalfOf: 'Organization/org-9' }), AUDITOR, BASE);
  valid(broker);
  assert.deepEqual(
    broker.agent.map((a) => [a.type?.coding[0]?.code, a.who, a.requestor]),
    [
      ['110150', { identifier: { system: 'http://fhirkeep.org/fhir/client', value: 'app-1' } }, true],
      ['RESP', { identifier: { system: 'http://fhirkeep.org/fhir/organization', value: 'org-9' } }, false],
    ],
  );
  const study = auditEventResource(row({ onBehalfOf: 'ResearchStudy/s-1' }), HANA, BASE);
  valid(study);
  assert.deepEqual(study.agent.at(-1)?.who, { reference: 'ResearchStudy/s-1' });
  // Codes no standard system has still make a valid Coding.
  valid(auditEventResource(row({ type: 'odd', subtype: '110122' }), AUDITOR, BASE));
});
