import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { Prefix, TokenValue } from './search-query.js';

const PREFIXES = new Set<Prefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/** Splits an OR list on unescaped commas (R4 §3.1.1.6: `\,` is a literal comma). */
export function splitOr(value: string): string[] {
  return splitOn(value, ',');
}

/** Splits on an unescaped separator (`,` between OR values, `$` in composites, `|` in tokens). */
export function splitOn(value: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === separator) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

/** Removes R4 §3.1.1.6 escapes (`\,` `\$` `\|` `\\`). */
export function unescape(s: string): string {
  return s.replace(/\\([\\|,$])/g, '$1');
}

/** A leading comparison prefix (R4 §3.1.1.4.1), `eq` when there is none. */
export function splitPrefix(raw: string): { prefix: Prefix; rest: string } {
  const head = raw.slice(0, 2);
  if (/^[a-z]{2}/.test(raw)) {
    if (!PREFIXES.has(head as Prefix)) throw new FhirkeepError('invalid-parameter', `Unknown prefix "${head}" in "${raw}" (eq ne gt lt ge le sa eb ap)`);
    return { prefix: head as Prefix, rest: raw.slice(2) };
  }
  return { prefix: 'eq', rest: raw };
}

/** `[system]|[code]`, `code`, `system|` or `|code` (R4 §3.1.1.4.8). */
export function parseToken(raw: string, name: string): TokenValue {
  const parts = splitOn(raw, '|');
  if (parts.length > 2) throw new FhirkeepError('invalid-parameter', `${name}: a token has at most one "|" (system|code), got "${raw}"`);
  if (parts.length === 1) {
    const code = unescape(parts[0] as string);
    if (code === '') throw new FhirkeepError('invalid-parameter', `${name} has an empty value`);
    return { system: undefined, code };
  }
  const system = unescape(parts[0] as string);
  const code = unescape(parts[1] as string);
  if (system === '' && code === '') throw new FhirkeepError('invalid-parameter', `${name} has an empty value`);
  return { system, code: code === '' ? undefined : code };
}

const DECIMAL = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal search value with its implied precision (R4 §3.1.1.4.5): `100` means
 * [99.5, 100.5), `1.50` means [1.495, 1.505).
 */
export function parseDecimal(raw: string, name: string): { value: number; lo: number; hi: number } {
  const m = DECIMAL.exec(raw);
  if (m === null) throw new FhirkeepError('invalid-parameter', `${name}: "${raw}" is not a number`);
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new FhirkeepError('invalid-parameter', `${name}: "${raw}" is out of range`);
  const decimals = (m[2]?.length ?? 0) - Number(m[3] ?? 0);
  const half = 0.5 * 10 ** -decimals;
  return { value, lo: value - half, hi: value + half };
}
