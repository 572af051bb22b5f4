import type { SmartPermission } from '../auth/smart/scopes.js';
import type { AccessBlock, ConsentRule, Reach } from '../access/scope.js';
import { PUBLIC_LABEL } from '../access/filter/access-filter.js';
import { all, any } from '../search/sql/fragments.js';
import { q, raw, type SqlText } from '../search/sql/sql-text.js';
import { catchmentPatients, confidentialityCondition } from './catchment-sql.js';
import { smartCondition } from './smart-sql.js';
import { enrolledIn, studyGrantHeld } from './study-sql.js';

/**
 * The access engine's rule as SQL on the `resources` row aliased `alias` (docs/access.md):
 * the token's scopes ∧ (the union of the filter's blocks, each within the consents' reach).
 * Consents are read by subqueries in the same statement, so a consent revoked or a share
 * withdrawn holds for the very next query on every node, with nothing to invalidate.
 * `known`: the types the row is already known to have (blocks for other types drop out).
 */
export function consentReadCondition(rule: ConsentRule, alias: string, permission: SmartPermission, known: readonly string[] | undefined): SqlText | undefined {
  return allOrNone([smartCondition(rule.smart, alias, permission, known), actingConsent(rule.reach), blocksCondition(rule, alias, known, 'read')]);
}

/**
 * What a write may touch (the row before an update or delete) or leave (the row after a create
 * or update). Write modes `update` and `create` keep writes inside the filter; `any` only inside
 * the consents' reach. Either way a write never reaches a record through the public pool:
 * public records are everyone's to read, not to change.
 */
export function consentWriteCondition(rule: ConsentRule, alias: string, permission: 'c' | 'u' | 'd', type: string): SqlText | undefined {
  const reach = rule.writeMode === 'any' ? reachCondition(rule.reach, alias, 'all', [type], rule.smart.compartmentTypes) : blocksCondition(rule, alias, [type], 'write');
  return allOrNone([smartCondition(rule.smart, alias, permission, [type]), actingConsent(rule.reach), reach]);
}

function present(parts: readonly (SqlText | undefined)[]): SqlText[] {
  return parts.filter((p): p is SqlText => p !== undefined);
}

/**
 * The parts that restrict, joined by `and`; undefined when none does, so an unrestricted rule (an
 * institution's own system) adds nothing to the query and reads keep their unfragmented fast path.
 */
function allOrNone(parts: readonly (SqlText | undefined)[]): SqlText | undefined {
  const restricting = present(parts);
  return restricting.length === 0 ? undefined : all(restricting);
}

/**
 * The consent without which the caller may not act at all, and sees nothing, not even directory
 * data. A signed-in user's consent to the application, active for its current filter version:
 * tokens die when it is withdrawn (their grants are revoked), but the check in SQL also holds
 * while that revocation travels to other nodes. A broker's organization's consent to the broker:
 * it holds no tokens, so this check is what makes a withdrawal hold on the next query (and, as
 * for subscriptions, a revoked broker's consents share nothing). A research partner's
 * authorization for the study its request names.
 * Evaluated once per statement (an InitPlan).
 */
export function actingConsent(reach: Reach): SqlText | undefined {
  switch (reach.kind) {
    case 'account':
      return q`exists (select 1 from consents c where c.account_id = ${reach.accountId} and c.kind = 'app' and c.client_id = ${reach.clientId} and c.status = 'active' and c.filter_version = ${reach.filterVersion})`;
    case 'broker':
      return q`exists (select 1 from consents c join clients k on k.id = c.client_id
        where c.organization_id = ${reach.organizationId} and c.kind = 'broker' and c.client_id = ${reach.clientId} and c.status = 'active' and k.revoked_at is null)`;
    case 'study':
      return studyGrantHeld(reach);
    default:
      return undefined;
  }
}

/**
 * The union of the filter's blocks, within the consents' reach. When every block has the same
 * owner and keeps the public pool out (the common case), the reach is tested once, outside the
 * union, rather than once per block.
 */
function blocksCondition(rule: ConsentRule, alias: string, known: readonly string[] | undefined, use: 'read' | 'write'): SqlText | undefined {
  const blocks = known === undefined ? rule.blocks : rule.blocks.filter((b) => b.types === undefined || known.some((t) => b.types?.has(t)));
  const first = blocks[0];
  if (first === undefined) return q`false`;
  const reach = (owner: 'self' | 'all') => reachCondition(rule.reach, alias, owner, known, rule.smart.compartmentTypes);
  const shared = blocks.every((b) => b.owner === first.owner && (use === 'write' || b.public === 'never'));
  if (shared) return allOrNone([reach(first.owner), anyOrNone(blocks.map((b) => blockCondition(b, alias, known, publicTest(b, alias, use))))]);
  return anyOrNone(blocks.map((b) => blockCondition(b, alias, known, ownerAndPublic(b, alias, use, reach(b.owner)))));
}

/** The union of the blocks' conditions; undefined when one of them restricts nothing. */
function anyOrNone(conditions: readonly (SqlText | undefined)[]): SqlText | undefined {
  return conditions.some((c) => c === undefined) ? undefined : any(conditions as SqlText[]);
}

/** One block: every dimension it names, intersected (an absent one does not restrict), and its owner/public test. */
function blockCondition(b: AccessBlock, alias: string, known: readonly string[] | undefined, ownerTest: SqlText | undefined): SqlText | undefined {
  const col = (name: string) => raw(`${alias}.${name}`);
  const types = b.types === undefined || (known !== undefined && known.every((t) => b.types?.has(t))) ? undefined : [...b.types];
  return allOrNone([
    types === undefined ? undefined : types.length === 1 ? q`${col('type')} = ${types[0] as string}` : q`${col('type')} = any(${types}::text[])`,
    b.contents === undefined ? undefined : q`${col('content_type')} = any(${b.contents as string[]}::text[])`,
    b.codes === undefined ? undefined : q`${col('codes')} && ${b.codes as string[]}::text[]`,
    b.apps === undefined ? undefined : q`${col('source_app')} = any(${b.apps as string[]}::text[])`,
    b.createdAfter === undefined ? undefined : q`${col('created_at')} > ${b.createdAfter}`,
    b.createdBefore === undefined ? undefined : q`${col('created_at')} < ${b.createdBefore}`,
    b.updatedAfter === undefined ? undefined : q`${col('last_updated')} > ${b.updatedAfter}`,
    b.updatedBefore === undefined ? undefined : q`${col('last_updated')} < ${b.updatedBefore}`,
    b.tags === undefined ? undefined : q`${col('security')} @> ${b.tags as string[]}::text[]`,
    ownerTest,
  ]);
}

/** Whether a record is in the public pool: its security label (docs/access.md). */
function isPublic(alias: string): SqlText {
  return q`${PUBLIC_LABEL} = any(${raw(`${alias}.security`)})`;
}

/** A block's public test when the reach is tested outside the union. Writes never go through the pool. */
function publicTest(b: AccessBlock, alias: string, use: 'read' | 'write'): SqlText | undefined {
  if (b.public === 'only') return isPublic(alias);
  if (b.public === 'also') return undefined;
  return q`not ${isPublic(alias)}`;
}

/**
 * `public: only` reads the public pool alone; `also` the reach plus the pool; by default the
 * pool is left out. Writes never go through the pool.
 */
function ownerAndPublic(b: AccessBlock, alias: string, use: 'read' | 'write', reached: SqlText | undefined): SqlText | undefined {
  if (use === 'write') return allOrNone([publicTest(b, alias, use), reached]);
  if (b.public === 'only') return isPublic(alias);
  if (b.public === 'also') return reached === undefined ? undefined : any([reached, isPublic(alias)]);
  return allOrNone([q`not ${isPublic(alias)}`, reached]);
}

/**
 * The rows whose holders' consents reach the application (undefined: every row): the
 * compartments of the patients they share, and rows outside every compartment (directory data: Practitioner, Organization, Medication …), which
 * everyone reaches. A record of a Patient-compartment type that names no patient is nobody's to
 * share: only an institution's own system (reach all) reaches it.
 */
function reachCondition(reach: Reach, alias: string, owner: 'self' | 'all', known: readonly string[] | undefined, compartment: ReadonlySet<string>): SqlText | undefined {
  if (reach.kind === 'everyone') return undefined;
  const rows = reachedRows(reach, alias, owner, known, compartment);
  // An HIE user's reach also hides what is confidential from them, wherever it lies.
  return reach.kind === 'catchment' ? allOrNone([rows, confidentialityCondition(reach, alias, known)]) : rows;
}

function reachedRows(reach: Exclude<Reach, { kind: 'everyone' }>, alias: string, owner: 'self' | 'all', known: readonly string[] | undefined, compartment: ReadonlySet<string>): SqlText {
  const a = (name: string) => raw(`${alias}.${name}`);
  const shared = sharedPatients(reach, a('patient_id'), owner);
  const directory = q`${a('patient_id')} is null`;
  if (known !== undefined && known.every((t) => compartment.has(t))) return shared ?? q`false`;
  if (known !== undefined && known.every((t) => !compartment.has(t))) return directory;
  const compartmentTypes = known === undefined ? [...compartment] : known.filter((t) => compartment.has(t));
  return any(present([all([directory, q`${a('type')} <> all(${compartmentTypes}::text[])`]), shared]));
}

/**
 * Whether the consents share the row's patient (undefined: they share no one). Each test is a
 * scalar subquery correlated on the row's patient_id: one probe of the consents index, run only
 * on the rows the search's own conditions let through. PostgreSQL evaluates a row's conditions
 * cheapest first, so a probe must not look cheaper than the search's index tests: a subscription
 * probe alone did (300 probes for one patient's Observations instead of the few that match), and
 * joining the client, so that a revoked client's consents share nothing, makes it the dearer one.
 * An `IN (subquery)` would be a semi-join planned on every search, and inside an OR a hash of
 * every consent; a SQL function cannot be inlined and costs ~50 µs a call.
 */
function sharedPatients(reach: Exclude<Reach, { kind: 'everyone' }>, patient: SqlText, owner: 'self' | 'all'): SqlText | undefined {
  switch (reach.kind) {
    case 'account':
    case 'holder': {
      const own = reach.patient === undefined ? undefined : q`${patient} = ${reach.patient}`;
      if (owner === 'self') return own;
      const shares = q`(select true from consents c join organization_members m on m.organization_id = c.organization_id
        where c.patient_id = ${patient} and m.account_id = ${reach.accountId} and c.kind = 'organization' and c.status = 'active' limit 1)`;
      return own === undefined ? shares : any([own, shares]);
    }
    case 'subscribers':
      return q`(select true from consents c join clients k on k.id = c.client_id
        where c.client_id = ${reach.clientId} and c.kind = 'service' and c.status = 'active' and c.filter_version = ${reach.filterVersion}
          and c.patient_id = ${patient} and k.revoked_at is null limit 1)`;
    case 'broker':
      return q`(select true from consents c
        where c.organization_id = ${reach.organizationId} and c.kind = 'organization' and c.status = 'active' and c.patient_id = ${patient} limit 1)`;
    case 'study':
      return enrolledIn(reach, patient);
    case 'catchment':
      return catchmentPatients(reach, patient, owner);
    case 'nobody':
      return undefined;
  }
}
