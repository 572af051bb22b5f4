import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';
import type { AccessScope } from '../access/scope.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { raw, SLOT, type SqlText } from '../search/sql/sql-text.js';

/**
 * The ONE place an AccessScope's read rule becomes SQL: a condition on the `resources` row
 * aliased `alias` (`r` for a query's results; searches apply it to every row they reach
 * through chains, `_has` and includes too). `undefined` means "no restriction", so the hot
 * paths need no join for it. The access-engine issue adds rules that use the alias.
 */
export function readCondition(scope: AccessScope, alias: string): SqlText | undefined {
  void alias;
  switch (scope.read.kind) {
    case 'all':
      return undefined;
    case 'none':
      return raw('false');
  }
}

/** The same condition as a postgres.js fragment, for the queries written as tagged templates. */
export function readPredicate(db: Sql | TransactionSql, scope: AccessScope, alias = 'r'): PendingQuery<Row[]> | undefined {
  const condition = readCondition(scope, alias);
  if (condition === undefined) return undefined;
  // A tagged-template call built by hand: the text between values, then the values themselves.
  const strings = condition.text.split(SLOT);
  return (db as Sql)(Object.assign(strings, { raw: strings }) as unknown as TemplateStringsArray, ...(condition.values as never[]));
}

/** Writes are checked before any statement runs. */
export function assertCanWrite(scope: AccessScope): void {
  if (scope.write.kind === 'none') throw new FhirkeepError('forbidden', 'This request may not write data');
}
