import { FHIRKEEP_FHIR } from '../fhir/fhirkeep-systems.js';

/** A FHIR Coding. */
export interface Coding {
  readonly system?: string;
  readonly code: string;
  readonly display?: string;
}

export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const DICOM = 'http://dicom.nema.org/resources/ontology/DCM';
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
/** Subtypes no standard code system has (export, token-issue, consent-change …). */
export const FHIRKEEP_AUDIT_SUBTYPE = `${FHIRKEEP_FHIR}/CodeSystem/audit-event-subtype`;
export const AUDIT_EVENT_ACTION = 'http://hl7.org/fhir/audit-event-action';
export const AUDIT_EVENT_OUTCOME = 'http://hl7.org/fhir/audit-event-outcome';

// R4 CodeSystem restful-interaction: every interaction code.
const INTERACTIONS = new Set([
  'read', 'vread', 'update', 'patch', 'delete', 'history', 'history-instance', 'history-type', 'history-system',
  'create', 'search', 'search-type', 'search-system', 'capabilities', 'transaction', 'batch', 'operation',
]);

// DICOM PS3.16 CID 400/401 (audit event IDs and their type codes) that security events use.
const DICOM_DISPLAYS: Readonly<Record<string, string>> = {
  '110100': 'Application Activity',
  '110101': 'Audit Log Used',
  '110106': 'Export',
  '110107': 'Import',
  '110110': 'Patient Record',
  '110112': 'Query',
  '110113': 'Security Alert',
  '110114': 'User Authentication',
  '110122': 'Login',
  '110123': 'Logout',
  '110135': 'Object Security Attributes Changed',
  '110136': 'Security Roles Changed',
  '110137': 'User Security Attributes Changed',
};

const isDicom = (code: string): boolean => /^\d{6}$/.test(code);

/**
 * The code system of a row's `type`: `rest` is audit-event-type's, six digits are DICOM's;
 * anything else is written with no system (a Coding may have a code alone).
 */
export function typeSystem(code: string): string | undefined {
  if (code === 'rest') return AUDIT_EVENT_TYPE;
  return isDicom(code) ? DICOM : undefined;
}

/** The code system of a row's `subtype`: a FHIR interaction, a DICOM code, or one of Fhirkeep's own. */
export function subtypeSystem(code: string): string {
  if (INTERACTIONS.has(code)) return RESTFUL_INTERACTION;
  return isDicom(code) ? DICOM : FHIRKEEP_AUDIT_SUBTYPE;
}

export function typeCoding(code: string): Coding {
  const system = typeSystem(code);
  const display = code === 'rest' ? 'RESTful Operation' : system === DICOM ? DICOM_DISPLAYS[code] : undefined;
  return { ...(system === undefined ? {} : { system }), code, ...(display === undefined ? {} : { display }) };
}

export function subtypeCoding(code: string): Coding {
  const system = subtypeSystem(code);
  const display = system === DICOM ? DICOM_DISPLAYS[code] : undefined;
  return { system, code, ...(display === undefined ? {} : { display }) };
}
