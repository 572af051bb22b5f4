import { q, raw, type SqlText } from './sql-text.js';

/** `x.param = k` for one parameter key, `x.param = any(keys)` for several (system-level search). */
export function paramIs(keys: readonly number[]): SqlText {
  return keys.length === 1 ? q`x.param = ${keys[0] as number}` : q`x.param = any(${keys as number[]}::int[])`;
}

/** Fragments joined by `and` / `or` (true / false when empty). */
export function all(parts: readonly SqlText[]): SqlText {
  if (parts.length === 0) return q`true`;
  return parts.slice(1).reduce((acc, p) => q`${acc} and ${p}`, q`(${parts[0] as SqlText})`);
}

export function any(parts: readonly SqlText[]): SqlText {
  if (parts.length === 0) return q`false`;
  return q`(${parts.slice(1).reduce((acc, p) => q`${acc} or ${p}`, q`(${parts[0] as SqlText})`)})`;
}

/** `exists (select 1 from <table> x where x.rid = <alias>.rid and <param> and <cond>)`. */
export function indexed(table: string, alias: string, keys: readonly number[], cond: SqlText): SqlText {
  return q`exists (select 1 from ${raw(table)} x where x.rid = ${raw(alias)}.rid and ${paramIs(keys)} and ${cond})`;
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
export function startsWith(column: SqlText, prefix: string): SqlText {
  return q`(${column} ~>=~ ${prefix} and ${column} ~<~ ${`${prefix}\u{10FFFF}`} and ${column} like ${`${likeLiteral(prefix)}%`})`;
}
