import type { CatchmentReach } from '../access/scope.js';
import { areaCodeRange } from '../fhir/area-code.js';
import { AREA_CODE_PARAM } from '../search/params/fhirkeep-params.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
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
      return hi === undefined ? q`at.code >= ${lo}` : q`(at.code >= ${lo} and at.code < ${hi})`;
    }),
  );
  // Aliases of their own: the row's alias may be a search's (r, t1, h1 …), and this runs inside its subqueries.
  const inArea = q`(select true from resources ap join search_token at on at.rid = ap.rid
    where ap.tenant = 0 and ap.type = 'Patient' and ap.id = ${patient} and at.param = ${AREA_CODE_PARAM} and ${ranges} limit 1)`;
  return own === undefined ? inArea : any([own, inArea]);
}

/**
 * Hides confidential encounters from a reach that asks so: Encounter rows labelled R or V, and
 * the records made in one (their `encounter` search parameter points to it: Observation,
 * Condition, Procedure, DiagnosticReport …), but for those in the user's own Patients'
 * compartments. The second test is a probe of the row's own reference index rows, by (rid,
 * param), then the Encounter's row by its unique key. Undefined when nothing is hidden (no need,
 * or the row can be neither).
 */
export function confidentialityCondition(reach: CatchmentReach, alias: string, known: readonly string[] | undefined): SqlText | undefined {
  if (!reach.hideConfidential) return undefined;
  const a = (name: string) => raw(`${alias}.${name}`);
  const labels = CONFIDENTIAL_LABELS as string[];
  const hidden: SqlText[] = [];
  if (known === undefined || known.includes('Encounter')) {
    hidden.push(known?.length === 1 ? q`${a('security')} && ${labels}::text[]` : q`(${a('type')} = 'Encounter' and ${a('security')} && ${labels}::text[])`);
  }
  const keys = [...encounterReferenceKeys().entries()].filter(([type]) => known === undefined || known.includes(type)).map(([, key]) => key);
  if (keys.length > 0) {
    const param = keys.length === 1 ? q`cx.param = ${keys[0] as number}` : q`cx.param = any(${keys}::int[])`;
    // A scalar subquery, not `exists`: under `not`, PostgreSQL would plan an anti-join reading every confidential Encounter.
    hidden.push(q`coalesce((select true from search_reference cx join resources ce on ce.tenant = 0 and ce.type = 'Encounter' and ce.id = cx.target_id
      where cx.rid = ${a('rid')} and ${param} and cx.target_type = 'Encounter' and ce.security && ${labels}::text[] limit 1), false)`);
  }
  if (hidden.length === 0) return undefined;
  const own = reach.patients.length === 0 ? [] : [q`${a('patient_id')} = any(${reach.patients as string[]}::text[])`];
  return any([q`not ${any(hidden)}`, ...own]);
}

let encounterKeys: ReadonlyMap<string, number> | undefined;

/** Each type's `encounter` reference parameter (the Encounter a record was made in), by its index key. */
function encounterReferenceKeys(): ReadonlyMap<string, number> {
  if (encounterKeys !== undefined) return encounterKeys;
  const registry = r4ParamRegistry();
  const keys = new Map<string, number>();
  for (const type of registry.resourceTypes) {
    const p = registry.forType(type)?.get('encounter');
    if (p?.type === 'reference' && p.accessor !== undefined && p.target.includes('Encounter')) keys.set(type, p.key);
  }
  return (encounterKeys = keys);
}
