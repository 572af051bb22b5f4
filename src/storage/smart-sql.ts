import type { SmartPermission } from '../auth/smart/scopes.js';
import type { SmartGrant, SmartRule } from '../access/scope.js';
import { clauseSql } from '../search/sql/clause-sql.js';
import { all, any } from '../search/sql/fragments.js';
import { q, raw, type SqlText } from '../search/sql/sql-text.js';

/**
 * A SMART rule as SQL for one permission: the row's type must have a grant with it, and the
 * row must be within one such grant's reach (the patient's compartment for `patient/` scopes,
 * the granular filter's matches). Types sharing a condition are tested together, and a test
 * that holds for every type the row can have is left out.
 */
export function smartCondition(rule: SmartRule, alias: string, permission: SmartPermission, known: readonly string[] | undefined): SqlText | undefined {
  const candidates = known ?? [...rule.resourceTypes];
  const groups = new Map<string, { types: string[]; condition: SqlText | undefined }>();
  for (const type of candidates) {
    const grants = rule.types.get(type)?.filter((g) => g.permissions.has(permission)) ?? [];
    if (grants.length === 0) continue;
    const { key, condition } = typeCondition(rule, alias, type, grants);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { types: [type], condition });
    else group.types.push(type);
  }
  const list = [...groups.values()];
  const only = list[0];
  if (list.length === 1 && only !== undefined && only.types.length === candidates.length) return only.condition;
  const a = raw(alias);
  return any(
    list.map(({ types, condition }) => {
      const typeTest = types.length === 1 ? q`${a}.type = ${types[0] as string}` : q`${a}.type = any(${types}::text[])`;
      return condition === undefined ? typeTest : q`(${typeTest} and ${condition})`;
    }),
  );
}

/**
 * One type's condition (undefined: every row) and a key equal for types whose conditions are
 * the same SQL, so they can share one type test. A filtered grant's clauses are its type's own.
 */
function typeCondition(rule: SmartRule, alias: string, type: string, grants: readonly SmartGrant[]): { key: string; condition: SqlText | undefined } {
  if (grants.some((g) => !g.patientOnly && g.filter === undefined)) return { key: 'all', condition: undefined };
  const inCompartment = rule.compartmentTypes.has(type);
  if (grants.every((g) => g.filter === undefined)) {
    // Only `patient/` scopes: the same compartment test for every type on the same side of it.
    return { key: inCompartment ? 'compartment' : 'outside-compartment', condition: compartmentCondition(rule, alias, inCompartment) };
  }
  const reach = grants.map((g) =>
    all([...(g.patientOnly ? [compartmentCondition(rule, alias, inCompartment)] : []), ...(g.filter ?? []).map((c) => clauseSql(alias, c, () => undefined))]),
  );
  return { key: `type:${type}`, condition: reach.length === 1 ? reach[0] : any(reach) };
}

/**
 * A `patient/` scope's reach: rows whose compartment owner (`patient_id`, the Patient's own id
 * for a Patient) is the context patient. Types outside the Patient compartment (Practitioner,
 * Organization, Medication …) are reference data, not a patient's record: their rows are
 * reachable unless they name another patient. Without a context patient, no compartment row is.
 */
function compartmentCondition(rule: SmartRule, alias: string, inCompartment: boolean): SqlText {
  const owner = raw(`${alias}.patient_id`);
  if (rule.patient === undefined) return inCompartment ? raw('false') : q`${owner} is null`;
  return inCompartment ? q`${owner} = ${rule.patient}` : q`(${owner} is null or ${owner} = ${rule.patient})`;
}
