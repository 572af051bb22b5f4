import type { Reach } from '../access/scope.js';
import { paramKey } from '../search/params/param-key.js';
import { q, type SqlText } from '../search/sql/sql-text.js';

type StudyReach = Extract<Reach, { kind: 'study' }>;

/**
 * ResearchSubject statuses (R4 research-subject-status) under which the subject takes part in
 * the study and its data flows to it. Candidates, screening, withdrawn, off-study … do not.
 */
export const ENROLLED_STATUSES: readonly string[] = ['on-study', 'on-study-intervention', 'on-study-observation', 'follow-up'];

/** The index rows the enrollment test reads, by the search parameters R4 defines. */
const SUBJECT_STUDY = paramKey('ResearchSubject', 'study');
const SUBJECT_STATUS = paramKey('ResearchSubject', 'status');
const CONSENT_STATUS = paramKey('Consent', 'status');

/**
 * Whether the row's patient (`patient`, the row's patient_id) is enrolled in the study
 * (docs/research.md): a ResearchSubject of theirs (ResearchSubject is in the Patient
 * compartment through `individual`) that references the study, with an enrolled status, and
 * whose Consent, when it names one, is that patient's and active. A Consent reference that is not
 * `Consent/<id>` cannot be checked, so it enrolls nobody.
 *
 * A scalar subquery correlated on the row's patient_id, like the consents' probes
 * (consent-sql.ts), so PostgreSQL runs it after the search's own index tests: one range of the
 * `resources_patient` index (the patient's ResearchSubjects), then each subject's study and
 * status index rows by rid; its Consent (`consent` is not a search parameter, so read from the
 * ResearchSubject's JSON) is one primary-key probe. That probe is a scalar subquery too: as an
 * EXISTS inside the OR, PostgreSQL hashes every active Consent on every query.
 */
export function enrolledIn(reach: StudyReach, patient: SqlText): SqlText {
  return q`(select true from resources s
    where s.patient_id = ${patient} and s.type = 'ResearchSubject' and s.tenant = 0 and not s.deleted
      and exists (select 1 from search_reference x where x.rid = s.rid and x.param = ${SUBJECT_STUDY}
                  and x.target_type = 'ResearchStudy' and x.target_id = ${reach.studyId})
      and exists (select 1 from search_token x where x.rid = s.rid and x.param = ${SUBJECT_STATUS} and x.code = any(${ENROLLED_STATUSES}::text[]))
      and (s.content::json -> 'consent' is null
           or (select true from resources c
               where c.tenant = 0 and c.type = 'Consent' and not c.deleted and c.patient_id = s.patient_id
                 and c.id = substring(s.content::json -> 'consent' ->> 'reference' from '^Consent/([^/]+)$')
                 and exists (select 1 from search_token x where x.rid = c.rid and x.param = ${CONSENT_STATUS} and x.code = 'active')
               limit 1))
    limit 1)`;
}

/**
 * The partner is still authorized for the study, the partner is not revoked, and the study
 * still exists: tested once per statement (an InitPlan), so revoking the grant holds for the very
 * next query, bulk export included, whatever a node has cached.
 */
export function studyGrantHeld(reach: StudyReach): SqlText {
  return q`exists (select 1 from study_grants g join clients k on k.id = g.client_id
    where g.client_id = ${reach.clientId} and g.study_id = ${reach.studyId} and k.revoked_at is null
      and exists (select 1 from resources r where r.tenant = 0 and r.type = 'ResearchStudy' and r.id = g.study_id and not r.deleted))`;
}
