import type { Migration } from './migration.js';

/**
 * Rows by compartment owner: a `patient/` SMART scope adds `patient_id = $1` to every query of a
 * compartment type (src/storage/scope-sql.ts). Led by the patient, then the type a search tests,
 * then the rid its pages are keyed on, so one patient's page of one type is a single range scan
 * in page order. Resources outside every compartment (most reference data) are left out.
 */
export const patientCompartment: Migration = {
  version: 4,
  name: 'patient compartment index',
  sql: `
create index resources_patient on resources (patient_id, type, rid) where patient_id is not null;
`,
};
