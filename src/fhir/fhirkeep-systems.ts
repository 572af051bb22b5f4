/**
 * Where Fhirkeep's own identifiers, code systems and extensions live: apps (clients), accounts and
 * organizations are no FHIR resources here, so FHIR resources name them by identifier in these systems.
 */
export const FHIRKEEP_FHIR = 'http://fhirkeep.org/fhir';
export const CLIENT_IDENTIFIER_SYSTEM = `${FHIRKEEP_FHIR}/client`;
export const ORGANIZATION_IDENTIFIER_SYSTEM = `${FHIRKEEP_FHIR}/organization`;
export const ACCOUNT_IDENTIFIER_SYSTEM = `${FHIRKEEP_FHIR}/account`;
