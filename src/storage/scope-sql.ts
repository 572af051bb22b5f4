import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';
import type { WriteMode } from '../access/filter/access-filter.js';
import type { AccessScope } from '../access/scope.js';
import { requirePermission } from '../access/smart-access.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { q, raw, render, SLOT, type SqlText } from '../search/sql/sql-text.js';
import { consentReadCondition, consentWriteCondition } from './consent-sql.js';
import { smartCondition } from './smart-sql.js';

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
    case 'consented':
      return consentReadCondition(scope.read, alias, use.interaction === 'read' ? 'r' : 's', use.types);
  }
}

/**
 * Whether a replica, which may be behind the primary, can apply this scope's read rule
 * (docs/replicas.md): only when the rule is decided by the row itself and the token. A rule that
 * reads consents, organization memberships, study grants or other records (catchments, study
 * enrolment) would read them as they were, and a consent withdrawn must hold on the very next
 * query, so those searches stay on the primary.
 */
export function replicaMayAnswer(scope: AccessScope): boolean {
  switch (scope.read.kind) {
    case 'all':
    case 'none':
    case 'smart':
      return true;
    case 'consented':
      return scope.read.reach.kind === 'everyone' || scope.read.reach.kind === 'nobody';
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

/**
 * Writes are checked before any statement runs: a scope that may not write, or not this (type,
 * interaction), is a 403; so is a write the application's write mode does not allow.
 */
export function assertCanWrite(scope: AccessScope, type: string, permission: 'c' | 'u' | 'd'): void {
  const rule = scope.write;
  if (rule.kind === 'none') throw new FhirkeepError('forbidden', 'This request may not write data');
  if (rule.kind === 'consented' && !WRITE_MODE_ALLOWS[rule.writeMode].includes(permission)) {
    throw new FhirkeepError('forbidden', `This application's write mode (${rule.writeMode}) does not allow it to ${permission === 'c' ? 'create' : permission === 'u' ? 'update' : 'delete'} records`);
  }
  requirePermission(scope, permission, type);
}

const WRITE_MODE_ALLOWS: Readonly<Record<WriteMode, readonly ('c' | 'u' | 'd')[]>> = { none: [], update: ['u'], create: ['c', 'u'], any: ['c', 'u', 'd'] };

/** Whether writes under this scope must check the rows they change and leave (inside one transaction). */
export function writesCheckRows(scope: AccessScope): boolean {
  return scope.write.kind === 'smart' || scope.write.kind === 'consented';
}

/** What checking the rows a write touches or leaves found. */
export interface WriteRowsCheck {
  /** Some row lies outside what the write rule lets the permission touch. */
  readonly outside: boolean;
  /** Each checked row's security labels, by id, for the label rules (src/access/label-rules.ts). */
  readonly labels: ReadonlyMap<string, readonly string[]>;
}

const UNCHECKED: WriteRowsCheck = { outside: false, labels: new Map() };

/**
 * Checks the current rows of `type` with one of `ids` against what the write rule lets
 * `permission` touch. Before an update or delete it checks the row as it is (locking it, so it
 * cannot move out of scope before the write), and reads its labels in the same statement; after a
 * create or update, the row as written. Without row limits it runs nothing.
 */
export async function checkWriteRows(db: Sql | TransactionSql, scope: AccessScope, permission: 'c' | 'u' | 'd', type: string, ids: readonly string[]): Promise<WriteRowsCheck> {
  const rule = scope.write;
  if ((rule.kind !== 'smart' && rule.kind !== 'consented') || ids.length === 0) return UNCHECKED;
  const condition = (rule.kind === 'smart' ? smartCondition(rule, 'r', permission, [type]) : consentWriteCondition(rule, 'r', permission, type)) ?? raw('true');
  const { text, params } = render(q`
    select r.id, r.security, coalesce(${condition}, false) as inside from resources r
    where r.tenant = 0 and r.type = ${type} and r.id = any(${ids as string[]}::text[]) and not r.deleted
    for update of r`);
  const rows = (await (db as Sql).unsafe(text, params as never[])) as unknown as { id: string; security: string[]; inside: boolean }[];
  return { outside: rows.some((row) => !row.inside), labels: new Map(rows.map((row) => [row.id, row.security])) };
}
