import type { SmartPermission } from '../auth/smart/scopes.js';
import type { AccessBlock, ConsentRule, Reach } from '../access/scope.js';
import { PUBLIC_LABEL } from '../access/filter/access-filter.js';
import { all, any } from '../search/sql/fragments.js';
import { q, raw, type SqlText } from '../search/sql/sql-text.js';
import { smartCondition } from './smart-sql.js';

/**
 * The access engine's rule as SQL on the `resources` row aliased `alias` (docs/access.md):
 * the token's scopes ∧ (the union of the filter's blocks, each within the consents' reach).
 * Consents are read by subqueries in the same statement, so a consent revoked or a share
 * withdrawn holds for the very next query on every node, with nothing to invalidate.
 * `known`: the types the row is already known to have (blocks for other types drop out).
 */
export function consentReadCondition(rule: ConsentRule, alias: string, permission: SmartPermission, known: readonly string[] | undefined): SqlText {
  return all(present([smartCondition(rule.smart, alias, permission, known), appConsent(rule.reach), blocksCondition(rule, alias, known, 'read')]));
}

/**
 * What a write may touch (the row before an update or delete) or leave (the row after a create
 * or update). Write modes `update` and `create` keep writes inside the filter; `any` only inside
 * the consents' reach. Either way a write never reaches a record through the public pool:
 * public records are everyone's to read, not to change.
 */
export function consentWriteCondition(rule: ConsentRule, alias: string, permission: 'c' | 'u' | 'd', type: string): SqlText {
  const reach = rule.writeMode === 'any' ? reachCondition(rule.reach, alias, 'all', [type], rule.smart.compartmentTypes) : blocksCondition(rule, alias, [type], 'write');
  return all(present([smartCondition(rule.smart, alias, permission, [type]), appConsent(rule.reach), reach]));
}

function present(parts: readonly (SqlText | undefined)[]): SqlText[] {
  return parts.filter((p): p is SqlText => p !== undefined);
}

/**
 * A signed-in user's consent to the application, active for its current filter version. Tokens
 * die when it is withdrawn (their grants are revoked), but the check in SQL also holds while
 * that revocation travels to other nodes. Evaluated once per statement (an InitPlan).
 */
function appConsent(reach: Reach): SqlText | undefined {
  if (reach.kind !== 'account') return undefined;
  return q`exists (select 1 from consents c where c.account_id = ${reach.accountId} and c.kind = 'app' and c.client_id = ${reach.clientId} and c.status = 'active' and c.filter_version = ${reach.filterVersion})`;
}

function blocksCondition(rule: ConsentRule, alias: string, known: readonly string[] | undefined, use: 'read' | 'write'): SqlText {
  const blocks = known === undefined ? rule.blocks : rule.blocks.filter((b) => b.types === undefined || known.some((t) => b.types?.has(t)));
  return any(blocks.map((b) => blockCondition(b, rule, alias, known, use)));
}

/** One block: every dimension it names, intersected (an absent one does not restrict). */
function blockCondition(b: AccessBlock, rule: ConsentRule, alias: string, known: readonly string[] | undefined, use: 'read' | 'write'): SqlText {
  const col = (name: string) => raw(`${alias}.${name}`);
  const types = b.types === undefined || (known !== undefined && known.every((t) => b.types?.has(t))) ? undefined : [...b.types];
  return all(
    present([
      types === undefined ? undefined : types.length === 1 ? q`${col('type')} = ${types[0] as string}` : q`${col('type')} = any(${types}::text[])`,
      b.contents === undefined ? undefined : q`${col('content_type')} = any(${b.contents as string[]}::text[])`,
      b.codes === undefined ? undefined : q`${col('codes')} && ${b.codes as string[]}::text[]`,
      b.apps === undefined ? undefined : q`${col('source_app')} = any(${b.apps as string[]}::text[])`,
      b.createdAfter === undefined ? undefined : q`${col('created_at')} > ${b.createdAfter}`,
      b.createdBefore === undefined ? undefined : q`${col('created_at')} < ${b.createdBefore}`,
      b.updatedAfter === undefined ? undefined : q`${col('last_updated')} > ${b.updatedAfter}`,
      b.updatedBefore === undefined ? undefined : q`${col('last_updated')} < ${b.updatedBefore}`,
      b.tags === undefined ? undefined : q`${col('security')} @> ${b.tags as string[]}::text[]`,
      ownerAndPublic(b, rule, alias, known, use),
    ]),
  );
}

/**
 * `public: only` reads the public pool alone; `also` the reach plus the pool; by default the
 * pool is left out. Writes never go through the pool.
 */
function ownerAndPublic(b: AccessBlock, rule: ConsentRule, alias: string, known: readonly string[] | undefined, use: 'read' | 'write'): SqlText | undefined {
  const isPublic = q`${PUBLIC_LABEL} = any(${raw(`${alias}.security`)})`;
  const reached = reachCondition(rule.reach, alias, b.owner, known, rule.smart.compartmentTypes);
  if (b.public === 'only') return all(present([isPublic, use === 'write' ? reached : undefined]));
  if (b.public === 'also') return use === 'write' ? reached : reached === undefined ? undefined : any([reached, isPublic]);
  return all(present([q`not ${isPublic}`, reached]));
}

/**
 * The rows whose holders' consents reach the application (undefined: every row). Rows in no
 * patient's compartment are directory data everyone reaches, unless their type belongs to the
 * Patient compartment (a record whose patient is missing): those only their writer reaches.
 */
function reachCondition(reach: Reach, alias: string, owner: 'self' | 'all', known: readonly string[] | undefined, compartment: ReadonlySet<string>): SqlText | undefined {
  if (reach.kind === 'everyone') return undefined;
  const patient = raw(`${alias}.patient_id`);
  const shared: SqlText[] = [];
  switch (reach.kind) {
    case 'account':
    case 'holder':
      if (reach.patient !== undefined) shared.push(q`${patient} = ${reach.patient}`);
      if (owner === 'all') {
        shared.push(q`${patient} in (select c.patient_id from consents c join organization_members m on m.organization_id = c.organization_id
          where m.account_id = ${reach.accountId} and c.kind = 'organization' and c.status = 'active')`);
      }
      break;
    case 'subscribers':
      shared.push(q`${patient} in (select c.patient_id from consents c
        where c.client_id = ${reach.clientId} and c.kind = 'service' and c.status = 'active' and c.filter_version = ${reach.filterVersion})`);
      break;
    case 'broker':
      shared.push(q`${patient} in (select o.patient_id from consents b join consents o on o.organization_id = b.organization_id
        where b.client_id = ${reach.clientId} and b.kind = 'broker' and b.status = 'active' and o.kind = 'organization' and o.status = 'active')`);
      break;
    case 'nobody':
      break;
  }
  return any([...shared, directoryCondition(reach, alias, known, compartment)]);
}

/** Rows outside every compartment: directory data, or a compartment record without a patient, then its writer's alone. */
function directoryCondition(reach: Exclude<Reach, { kind: 'everyone' }>, alias: string, known: readonly string[] | undefined, compartment: ReadonlySet<string>): SqlText {
  const a = (name: string) => raw(`${alias}.${name}`);
  const writer =
    reach.kind === 'account' || reach.kind === 'holder'
      ? q`${a('owner_account')} = ${reach.accountId}`
      : reach.kind === 'nobody'
        ? q`false`
        : q`(${a('owner_account')} is null and ${a('source_app')} = ${reach.clientId})`;
  const inCompartment = known?.filter((t) => compartment.has(t));
  const types = inCompartment === undefined ? any([q`${a('type')} <> all(${[...compartment]}::text[])`, writer]) : inCompartment.length === 0 ? undefined : inCompartment.length === known?.length ? writer : any([q`${a('type')} <> all(${inCompartment}::text[])`, writer]);
  return all(present([q`${a('patient_id')} is null`, types]));
}
