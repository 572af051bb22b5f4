import type { Migration } from './migration.js';

/**
 * Research partners (docs/research.md): when each signed its data-use agreement, and the
 * research studies an admin authorized it for. Who is enrolled in a study is FHIR data
 * (ResearchSubject), read through the search index, not a table of its own.
 */
export const researchStudies: Migration = {
  version: 7,
  name: 'research partners: data-use agreements and study grants',
  sql: `
-- A research partner's data-use agreement (the token response's consented_on). Partners
-- registered before this migration signed theirs no later than their registration.
alter table clients add column agreement_signed_at timestamptz;
update clients set agreement_signed_at = created_at where type = 'research';

-- The studies a research partner may query, by the ResearchStudy's logical id (a grant naming an
-- identifier is resolved at grant time). No foreign key to the study: resources are FHIR data, and
-- the access engine's SQL checks that the study still exists on every query.
create table study_grants (
  client_id  text not null references clients (id) on delete cascade,
  study_id   text not null,
  granted_by text references accounts (id) on delete set null,
  granted_at timestamptz not null default now(),
  primary key (client_id, study_id)
);

-- A ResearchSubject's patient is its individual (row-values.ts): until now it was nobody's, so
-- its compartment (and the study it enrolls its patient in) reached no one.
update resources set patient_id = substring(content::json -> 'individual' ->> 'reference' from '^Patient/(.+)$')
where type = 'ResearchSubject' and not deleted and patient_id is null;
`,
};
