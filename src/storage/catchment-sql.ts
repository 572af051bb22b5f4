import type { CatchmentReach } from '../access/scope.js';
import { areaCodeRange } from '../fhir/area-code.js';
import { AREA_CODE_PARAM } from '../search/params/fhirkeep-params.js';
import { any } from '../search/sql/fragments.js';
import { q, raw, type SqlText } from '../search/sql/sql-text.js';

/** HL7 v3 Confidentiality R (restricted) and V (very restricted): what providers and facilities do not see. */
export const CONFIDENTIAL_LABELS: readonly string[] = ['http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality|V'];

/**
 * Whether an HIE user's reach (docs/hie.md) holds the row's patient (`patient`: its
 * `patient_id`); undefined when it holds no one. Their own Patients are a list; a catchment is a
 * probe correlated on the row's patient: the Patient's row by its unique (tenant, type, id),
 * then its `area-code` index rows by (rid, param), each code tested against the catchments'
 * ranges. As with consents (consent-sql.ts), a probe runs only on the rows the search's own
 * conditions let through, and never hashes a whole district's patients inside an OR.
 * `owner: self` (an access-filter block's owner) is their own Patients alone.
 */
export function catchmentPatients(reach: CatchmentReach, patient: SqlText, owner: 'self' | 'all'): SqlText | undefined {
  const own = reach.patients.length === 0 ? undefined : q`${patient} = any(${reach.patients as string[]}::text[])`;
  if (owner === 'self' || reach.areaPrefixes.length === 0) return own;
  const ranges = any(
    reach.areaPrefixes.map((prefix) => {
      const { lo, hi } = areaCodeRange(prefix);
      return hi === undefined ? q`t.code >= ${lo}` : q`(t.code >= ${lo} and t.code < ${hi})`;
    }),
  );
  const inArea = q`(select true from resources p join search_token t on t.rid = p.rid
    where p.tenant = 0 and p.type = 'Patient' and p.id = ${patient} and t.param = ${AREA_CODE_PARAM} and ${ranges} limit 1)`;
  return own === undefined ? inArea : any([own, inArea]);
}

/**
 * Hides confidential encounters from a reach that asks so: Encounter rows labelled R or V, but
 * for those in the user's own Patients' compartments. Undefined when nothing is hidden (no need,
 * or the row cannot be an Encounter).
 */
export function confidentialityCondition(reach: CatchmentReach, alias: string, known: readonly string[] | undefined): SqlText | undefined {
  if (!reach.hideConfidential || (known !== undefined && !known.includes('Encounter'))) return undefined;
  const a = (name: string) => raw(`${alias}.${name}`);
  const visible = [q`not (${a('security')} && ${CONFIDENTIAL_LABELS as string[]}::text[])`];
  if (known === undefined || known.some((t) => t !== 'Encounter')) visible.unshift(q`${a('type')} <> 'Encounter'`);
  if (reach.patients.length > 0) visible.push(q`${a('patient_id')} = any(${reach.patients as string[]}::text[])`);
  return any(visible);
}
