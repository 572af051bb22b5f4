import { ACCOUNT_IDENTIFIER_SYSTEM, CLIENT_IDENTIFIER_SYSTEM, FHIRKEEP_FHIR, ORGANIZATION_IDENTIFIER_SYSTEM } from '../../fhir/fhirkeep-systems.js';
import type { CodeableConcept, Consent, FhirConsent, FhirExtension, Reference } from './consent.js';

const KIND_EXTENSION = `${FHIRKEEP_FHIR}/StructureDefinition/consent-kind`;
export const FILTER_VERSION_EXTENSION = `${FHIRKEEP_FHIR}/StructureDefinition/consent-filter-version`;
const SCOPE_EXTENSION = `${FHIRKEEP_FHIR}/StructureDefinition/consent-scope`;

// R4 Consent.scope (http://terminology.hl7.org/CodeSystem/consentscope): sharing health data.
const PATIENT_PRIVACY: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy', display: 'Privacy Consent' }],
};
// R4 Consent.category example binding: LOINC 59284-0 "Patient Consent".
const PATIENT_CONSENT: CodeableConcept = { coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] };
// R4 invariant ppc-1 asks for a policy or a policyRule: the grantor opted in.
const OPT_IN: CodeableConcept = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN', display: 'opt-in' }] };
// The grantee of a provision receives the information (v3 ParticipationType IRCP).
const RECIPIENT: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }],
};

const byIdentifier = (system: string, value: string): Reference => ({ identifier: { system, value } });

/** The row's facts a Consent is made of; the resource is a pure function of them. */
type ConsentFacts = Omit<Consent, 'resource' | 'currentFilterVersion'>;

/**
 * The FHIR R4 Consent a row stands for: the holder's Patient (or, for a broker consent, the
 * organization) permits the grantee — a client or an organization, referenced by identifier
 * since neither is a FHIR resource here — to receive the data.
 */
export function consentResource(c: ConsentFacts): FhirConsent {
  const patient = c.patientId === undefined ? undefined : { reference: `Patient/${c.patientId}` };
  const organization = c.organizationId === undefined ? undefined : byIdentifier(ORGANIZATION_IDENTIFIER_SYSTEM, c.organizationId);
  const client = c.clientId === undefined ? undefined : byIdentifier(CLIENT_IDENTIFIER_SYSTEM, c.clientId);
  // Who gave the consent: the holder (as their Patient, else their account), or the organization.
  const performer =
    c.kind === 'broker' ? organization : (patient ?? (c.accountId === undefined ? undefined : byIdentifier(ACCOUNT_IDENTIFIER_SYSTEM, c.accountId)));
  const grantee = c.kind === 'organization' ? organization : client;
  const extension: FhirExtension[] = [
    { url: KIND_EXTENSION, valueCode: c.kind },
    ...(c.filterVersion === undefined ? [] : [{ url: FILTER_VERSION_EXTENSION, valueInteger: c.filterVersion }]),
    ...c.scopes.map((scope) => ({ url: SCOPE_EXTENSION, valueString: scope })),
  ];
  return {
    resourceType: 'Consent',
    id: c.id,
    meta: { lastUpdated: c.updatedAt.toISOString() },
    extension,
    status: c.status,
    scope: PATIENT_PRIVACY,
    category: [PATIENT_CONSENT],
    ...(patient === undefined ? {} : { patient }),
    dateTime: c.updatedAt.toISOString(),
    ...(performer === undefined ? {} : { performer: [performer] }),
    ...(organization === undefined ? {} : { organization: [organization] }),
    policyRule: OPT_IN,
    provision: { type: 'permit', actor: grantee === undefined ? [] : [{ role: RECIPIENT, reference: grantee }] },
  };
}
