import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';
import type { SmartPermission } from '../auth/smart/scopes.js';
import type { AccessScope, SmartGrant, SmartRule } from '../access/scope.js';
import { requirePermission } from '../access/smart-access.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { clauseSql } from '../search/sql/clause-sql.js';
import { all, any } from '../search/sql/fragments.js';
import { q, raw, render, SLOT, type SqlText } from '../search/sql/sql-text.js';

/** Which reads a condition is for: `read` (read, vread, instance history) or `search` (everything else). */
export interface ReadUse {
  readonly interaction?: 'read' | 'search' | undefined;
  /**
   * The types the row is already known to have (the query tests them): the condition then
   * needs to hold only for those, which keeps it index-friendly (`r.patient_id = $1` alone).
   */
  readonly types?: readonly string[] | undefined;
}

/**
 * The ONE place an AccessScope's read rule becomes SQL: a condition on the `resources` row
 * aliased `alias` (`r` for a query's results; searches apply it to every row they reach
 * through chains, `_has` and includes too). `undefined` means "no restriction", so the hot
 * paths need no join for it.
 */
export function readCondition(scope: AccessScope, alias: string, use: ReadUse = {}): SqlText | undefined {
  switch (scope.read.kind) {
    case 'all':
      return undefined;
    case 'none':
      return raw('false');
    case 'smart':
      return smartCondition(scope.read, alias, use.interaction === 'read' ? 'r' : 's', use.types);
  }
}

/** The same condition as a postgres.js fragment, for the queries written as tagged templates. */
export function readPredicate(db: Sql | TransactionSql, scope: AccessScope, alias = 'r', use: ReadUse = {}): PendingQuery<Row[]> | undefined {
  const condition = readCondition(scope, alias, use);
  if (condition === undefined) return undefined;
  // A tagged-template call built by hand: the text between values, then the values themselves.
  const strings = condition.text.split(SLOT);
  return (db as Sql)(Object.assign(strings, { raw: strings }) as unknown as TemplateStringsArray, ...(condition.values as never[]));
}

/** Writes are checked before any statement runs: a scope that may not write, or not this (type, interaction), is a 403. */
export function assertCanWrite(scope: AccessScope, type: string, permission: 'c' | 'u' | 'd'): void {
  if (scope.write.kind === 'none') throw new FhirkeepError('forbidden', 'This request may not write data');
  requirePermission(scope, permission, type);
}

/** Whether writes under this scope must check the rows they change and leave (inside one transaction). */
export function writesCheckRows(scope: AccessScope): boolean {
  return scope.write.kind === 'smart';
}

/**
 * Whether any current row of `type` with one of `ids` lies outside what the write rule lets
 * `permission` touch. Before an update or delete it checks the row as it is (locking it, so it
 * cannot move out of scope before the write); after a create or update, the row as written.
 * Without row limits it runs nothing.
 */
export async function anyOutsideWriteScope(db: Sql | TransactionSql, scope: AccessScope, permission: 'c' | 'u' | 'd', type: string, ids: readonly string[]): Promise<boolean> {
  if (scope.write.kind !== 'smart' || ids.length === 0) return false;
  const condition = smartCondition(scope.write, 'r', permission, [type]) ?? raw('true');
  const { text, params } = render(q`
    select coalesce(${condition}, false) as inside from resources r
    where r.tenant = 0 and r.type = ${type} and r.id = any(${ids as string[]}::text[]) and not r.deleted
    for update of r`);
  const rows = (await (db as Sql).unsafe(text, params as never[])) as unknown as { inside: boolean }[];
  return rows.some((row) => !row.inside);
}

/**
 * A SMART rule as SQL for one permission: the row's type must have a grant with it, and the
 * row must be within one such grant's reach (the patient's compartment for `patient/` scopes,
 * the granular filter's matches). Types sharing a condition are tested together, and a test
 * that holds for every type the row can have is left out.
 */
function smartCondition(rule: SmartRule, alias: string, permission: SmartPermission, known: readonly string[] | undefined): SqlText | undefined {
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
