/**
 * The element that says what a record of each type is (a CodeableConcept): the codes the content
 * type is derived from, and what the resources' `codes` column holds. Types not listed are
 * already semantic (Patient, Encounter, Claim …): their content is the type itself.
 */
const PRIMARY_CODE: Readonly<Record<string, string>> = {
  AllergyIntolerance: 'code',
  Condition: 'code',
  DiagnosticReport: 'code',
  DocumentReference: 'type',
  Immunization: 'vaccineCode',
  Medication: 'code',
  MedicationAdministration: 'medicationCodeableConcept',
  MedicationDispense: 'medicationCodeableConcept',
  MedicationRequest: 'medicationCodeableConcept',
  MedicationStatement: 'medicationCodeableConcept',
  Observation: 'code',
  Procedure: 'code',
  ServiceRequest: 'code',
  Specimen: 'type',
};

export interface Coding {
  readonly system: string;
  readonly code: string;
  readonly display: string | undefined;
}

/** The codings of the resource's primary code, in order (a missing system is ''), with a code each. */
export function primaryCodings(resource: { readonly resourceType: string; readonly [field: string]: unknown }): Coding[] {
  const element = PRIMARY_CODE[resource.resourceType];
  if (element === undefined) return [];
  const coding = (resource[element] as { coding?: unknown } | undefined)?.coding;
  if (!Array.isArray(coding)) return [];
  return coding.flatMap((c: { system?: unknown; code?: unknown; display?: unknown } | null) =>
    typeof c?.code === 'string'
      ? [{ system: typeof c.system === 'string' ? c.system : '', code: c.code, display: typeof c.display === 'string' ? c.display : undefined }]
      : [],
  );
}
