import type { PendingQuery, Row, Sql } from 'postgres';

export type Fragment = PendingQuery<Row[]>;

/** `x.param = k` for one parameter key, `x.param = any(keys)` for several (system-level search). */
export function paramIs(sql: Sql, keys: readonly number[]): Fragment {
  return keys.length === 1 ? sql`x.param = ${keys[0] as number}` : sql`x.param = any(${keys as number[]}::int[])`;
}

/** Fragments joined by `and` / `or` (true / false when empty). */
export function all(sql: Sql, parts: readonly Fragment[]): Fragment {
  if (parts.length === 0) return sql`true`;
  return parts.slice(1).reduce((acc, p) => sql`${acc} and ${p}`, sql`(${parts[0] as Fragment})`);
}

export function any(sql: Sql, parts: readonly Fragment[]): Fragment {
  if (parts.length === 0) return sql`false`;
  return sql`(${parts.slice(1).reduce((acc, p) => sql`${acc} or ${p}`, sql`(${parts[0] as Fragment})`)})`;
}

/** `exists (select 1 from <table> x where x.rid = <alias>.rid and <param> and <cond>)`. */
export function indexed(sql: Sql, table: string, alias: string, keys: readonly number[], cond: Fragment): Fragment {
  return sql`exists (select 1 from ${sql.unsafe(table)} x where x.rid = ${sql.unsafe(alias)}.rid and ${paramIs(sql, keys)} and ${cond})`;
}

/** A LIKE pattern matching `s` literally (R4 search values are data, never patterns). */
export function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * `column` starts with `prefix`, as a btree range (text_pattern_ops) plus the exact LIKE:
 * a range on bound parameters stays an index scan even in a generic prepared plan, where
 * LIKE alone would not.
 */
export function startsWith(sql: Sql, column: Fragment, prefix: string): Fragment {
  return sql`(${column} ~>=~ ${prefix} and ${column} ~<~ ${`${prefix}\u{10FFFF}`} and ${column} like ${`${likeLiteral(prefix)}%`})`;
}
