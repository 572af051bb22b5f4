import type { AuditReach } from '../access/audit-access.js';
import { ACCOUNT_IDENTIFIER_SYSTEM, CLIENT_IDENTIFIER_SYSTEM, ORGANIZATION_IDENTIFIER_SYSTEM } from '../fhir/fhirkeep-systems.js';
import { DICOM, subtypeCoding, typeCoding, type Coding } from './audit-event-codes.js';
import type { StoredAuditRow } from './audit-row.js';

interface Reference {
  readonly reference?: string;
  readonly type?: string;
  readonly identifier?: { readonly system: string; readonly value: string };
  readonly display?: string;
}

interface Agent {
  readonly type?: { readonly coding: readonly Coding[] };
  readonly who?: Reference;
  readonly name?: string;
  readonly requestor: boolean;
  readonly network?: { readonly address: string; readonly type: '2' };
}

interface Entity {
  readonly what?: Reference;
  readonly type?: Coding;
  readonly role?: Coding;
  readonly name?: string;
  readonly query?: string;
  readonly detail?: readonly { readonly type: string; readonly valueString: string }[];
}

/** The parts of an R4 AuditEvent this server writes. */
export interface AuditEventResource {
  readonly resourceType: 'AuditEvent';
  readonly id: string;
  readonly meta: { readonly lastUpdated: string };
  readonly type: Coding;
  readonly subtype: readonly Coding[];
  readonly action: string;
  readonly recorded: string;
  readonly outcome: string;
  readonly outcomeDesc?: string;
  readonly agent: readonly Agent[];
  readonly source: { readonly observer: Reference; readonly type: readonly Coding[] };
  readonly entity?: readonly Entity[];
}

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PERSON: Coding = { system: ENTITY_TYPE, code: '1', display: 'Person' };
const SYSTEM_OBJECT: Coding = { system: ENTITY_TYPE, code: '2', display: 'System Object' };
const PATIENT_ROLE: Coding = { system: OBJECT_ROLE, code: '1', display: 'Patient' };
const RESOURCE_ROLE: Coding = { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' };
const QUERY_ROLE: Coding = { system: OBJECT_ROLE, code: '24', display: 'Query' };
const HUMAN_USER: Coding = { system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'humanuser', display: 'human user' };
const APPLICATION: Coding = { system: DICOM, code: '110150', display: 'Application' };
// v3 ParticipationType RESP: the organization or study the caller acts for answers for the act.
const ON_BEHALF_OF: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'RESP', display: 'responsible party' };
// security-source-type 4: the event was observed by an application server (this one).
const APPLICATION_SERVER: Coding = { system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' };

/**
 * A trail row as an R4 AuditEvent (IHE BALP's shape: the user and the application as agents, the
 * patients as entities with role Patient, the search as a base64 query). How much it shows
 * depends on who reads it: an auditor sees the row as written; a patient sees her own events
 * without anything that is about someone else or that she need not see — no other patient's id
 * (a search that also touched others names only the types it touched), no query (it may name
 * others), no IP address of the person who read her records, no free-text outcome or detail.
 */
export function auditEventResource(row: StoredAuditRow, reach: AuditReach, fhirBase: string): AuditEventResource {
  const auditor = reach.kind === 'every-event';
  const requestor = requestorAgents(row, auditor ? row.ip : undefined);
  const onBehalf = row.onBehalfOf === undefined ? [] : [{ type: { coding: [ON_BEHALF_OF] }, who: behalfReference(row.onBehalfOf), requestor: false }];
  const entity = auditor ? [...touched(row, row.patientIds, true), ...auditorEntities(row)] : touched(row, [reach.patientId], false);
  return {
    resourceType: 'AuditEvent',
    id: row.seq,
    meta: { lastUpdated: row.recorded.toISOString() },
    type: typeCoding(row.type),
    subtype: [subtypeCoding(row.subtype)],
    action: row.action,
    recorded: row.recorded.toISOString(),
    outcome: String(row.outcome),
    ...(auditor && row.outcomeDesc !== undefined ? { outcomeDesc: row.outcomeDesc } : {}),
    agent: [...requestor, ...onBehalf],
    source: { observer: { display: 'Fhirkeep', identifier: { system: 'urn:ietf:rfc:3986', value: fhirBase } }, type: [APPLICATION_SERVER] },
    ...(entity.length === 0 ? {} : { entity }),
  };
}

/** The person (an account) and the application (a client); whoever is first asked for it. Unauthenticated: an agent known only by address. */
function requestorAgents(row: StoredAuditRow, ip: string | undefined): Agent[] {
  const network = ip === undefined ? {} : { network: { address: ip, type: '2' as const } };
  const agents: Agent[] = [];
  if (row.accountId !== undefined) agents.push({ type: { coding: [HUMAN_USER] }, who: { identifier: { system: ACCOUNT_IDENTIFIER_SYSTEM, value: row.accountId } }, requestor: true, ...network });
  if (row.clientId !== undefined) {
    agents.push({ type: { coding: [APPLICATION] }, who: { identifier: { system: CLIENT_IDENTIFIER_SYSTEM, value: row.clientId } }, requestor: agents.length === 0, ...(agents.length === 0 ? network : {}) });
  }
  if (agents.length === 0) agents.push({ name: 'unauthenticated caller', requestor: true, ...network });
  return agents;
}

/** `Organization/<id>` is one of Fhirkeep's organizations (no FHIR resource), `ResearchStudy/<id>` a FHIR resource. */
function behalfReference(text: string): Reference {
  const [kind, id] = text.split('/', 2);
  if (kind === 'Organization' && id !== undefined) return { identifier: { system: ORGANIZATION_IDENTIFIER_SYSTEM, value: id } };
  if (kind === 'ResearchStudy' && id !== undefined) return { reference: text };
  return { display: text };
}

/**
 * What the event touched: the `patients` shown (as Patient entities) and the other references.
 * Only an auditor sees a Patient that is not among them. When the row concerns patients not
 * shown, the other references could be theirs: only their types are given.
 */
function touched(row: StoredAuditRow, patients: readonly string[], auditor: boolean): Entity[] {
  const shown = new Set(patients);
  const complete = row.patientIds.every((p) => shown.has(p));
  const entities: Entity[] = patients.map((id) => ({ what: { reference: `Patient/${id}` }, type: PERSON, role: PATIENT_ROLE }));
  const types = new Set<string>();
  for (const ref of row.entity) {
    const [type = '', id] = ref.split('/', 2);
    if (type === '' || (type === 'Patient' && (shown.has(id ?? '') || !auditor))) continue;
    if (complete && id !== undefined) entities.push({ what: { reference: ref }, type: SYSTEM_OBJECT, role: RESOURCE_ROLE });
    else if (!types.has(type)) {
      types.add(type);
      entities.push({ what: { type }, type: SYSTEM_OBJECT, role: RESOURCE_ROLE });
    }
  }
  return entities;
}

/** What only an auditor sees: the search's query, the request id and the row's detail. */
function auditorEntities(row: StoredAuditRow): Entity[] {
  const query: Entity[] = row.query === undefined ? [] : [{ type: SYSTEM_OBJECT, role: QUERY_ROLE, query: Buffer.from(row.query).toString('base64') }];
  const detail = [
    ...(row.requestId === undefined ? [] : [{ type: 'request-id', valueString: row.requestId }]),
    ...Object.entries(row.detail).map(([type, value]) => ({ type, valueString: typeof value === 'string' ? value : JSON.stringify(value) })),
  ];
  return [...query, ...(detail.length === 0 ? [] : [{ type: SYSTEM_OBJECT, name: 'request', detail }])];
}
