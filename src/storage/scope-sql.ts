import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';
import type { AccessScope } from '../access/scope.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { raw, type SqlText } from '../search/sql/sql-text.js';

/**
 * The ONE place an AccessScope's read rule becomes SQL: a predicate over the `resources` row
 * aliased `alias` (`r` for a query's results; searches apply it to every row they reach
 * through chains, `_has` and includes too). `undefined` means "no restriction", so the hot
 * paths need no join for it.
 */
export function readPredicate(db: Sql | TransactionSql, scope: AccessScope, alias = 'r'): PendingQuery<Row[]> | undefined {
  // Both are the same tagged-template function; TypeScript cannot call a union of their types.
  const sql = db as Sql;
  void alias;
  switch (scope.read.kind) {
    case 'all':
      return undefined;
    case 'none':
      return sql`false`;
  }
}

/** The same rule for searches, which assemble their SQL as text (src/search/sql/sql-text.ts). */
export function readCondition(scope: AccessScope, alias: string): SqlText | undefined {
  void alias;
  switch (scope.read.kind) {
    case 'all':
      return undefined;
    case 'none':
      return raw('false');
  }
}

/** Writes are checked before any statement runs. */
export function assertCanWrite(scope: AccessScope): void {
  if (scope.write.kind === 'none') throw new FhirkeepError('forbidden', 'This request may not write data');
}
