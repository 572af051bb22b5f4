import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/**
 * The SMART App Launch scope grammar, v1 and v2 (SMART App Launch 2.2 "Scopes and Launch
 * Context"): parsing, and writing back. What scopes cover and how requests are narrowed is in
 * ./scope-covering.ts; what they let a request read and write is in src/access/smart-access.ts.
 */

/** Whose data a resource scope reaches: the launch patient's, the user's, or a backend service's. */
export type ScopeLevel = 'patient' | 'user' | 'system';

/** SMART v2 permission letters: create, read (read, vread, instance history), update (and patch), delete, search (and type/system history). */
export type SmartPermission = 'c' | 'r' | 'u' | 'd' | 's';

/** The order v2 requires the letters in ("the letters SHALL be in this order"). */
export const PERMISSION_ORDER: readonly SmartPermission[] = ['c', 'r', 'u', 'd', 's'];

/** Scopes that name no resource: identity, launch context and refresh tokens. */
export const CONTEXT_SCOPES = ['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'online_access'] as const;
export type ContextScopeName = (typeof CONTEXT_SCOPES)[number];

/** One search parameter of a granular scope, percent-decoded. */
export interface ScopeFilterParam {
  readonly name: string;
  readonly value: string;
}

export interface ResourceScope {
  readonly kind: 'resource';
  readonly level: ScopeLevel;
  /** A resource type, or `*` for every type. */
  readonly type: string;
  /** The letters granted, in c r u d s order, never empty (v1 `read` is r s, `write` c u d, `*` all five). */
  readonly permissions: readonly SmartPermission[];
  /** How the permissions were written, so formatScope writes them back the same way. */
  readonly syntax: 'v1' | 'v2';
  /** v2 granular scope (`?category=…`): every parameter must match; empty for a plain scope. */
  readonly filter: readonly ScopeFilterParam[];
}

export interface ContextScope {
  readonly kind: 'context';
  readonly name: ContextScopeName;
}

export type ParsedScope = ResourceScope | ContextScope;

/** Longest scope token accepted: granular scopes carry code system URLs, nothing needs more. */
export const MAX_SCOPE_LENGTH = 512;
/** Longest scope string accepted (a client asking for dozens of granular scopes stays far below). */
export const MAX_SCOPE_STRING_LENGTH = 8192;

const V1_PERMISSIONS: Readonly<Record<string, readonly SmartPermission[]>> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]*)\.([a-z*]+)(?:\?(.*))?$/;
const V2_PERMISSIONS = /^c?r?u?d?s?$/;
/** A search parameter name, with an optional modifier (`code:in`, `_security`). */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_-]*(?::[A-Za-z][A-Za-z0-9-]*)?$/;
const CONTEXT_NAMES: ReadonlySet<string> = new Set(CONTEXT_SCOPES);

/** Parses one scope token; anything outside the grammar is an `invalid-scope` error (RFC 6749 §5.2 invalid_scope). */
export function parseScope(text: string): ParsedScope {
  if (text.length > MAX_SCOPE_LENGTH) throw invalid(text, `longer than ${MAX_SCOPE_LENGTH} characters`);
  if (!SCOPE_TOKEN.test(text)) throw invalid(text, 'a scope is printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)');
  if (CONTEXT_NAMES.has(text)) return { kind: 'context', name: text as ContextScopeName };
  const match = RESOURCE_SCOPE.exec(text);
  if (match === null) throw invalid(text, 'expected (patient|user|system)/(Type|*).(permissions) or a launch, identity or offline scope');
  const [, level, type, letters, query] = match as unknown as [string, ScopeLevel, string, string, string | undefined];
  const v1 = V1_PERMISSIONS[letters];
  if (v1 !== undefined) {
    // v1 has no granular form; `?…` belongs to v2 letters only.
    if (query !== undefined) throw invalid(text, 'a query needs v2 permissions (e.g. .rs?category=…), not v1 read/write/*');
    return { kind: 'resource', level, type, permissions: v1, syntax: 'v1', filter: [] };
  }
  if (!V2_PERMISSIONS.test(letters)) throw invalid(text, 'v2 permissions are letters from c r u d s, in that order, each at most once');
  const permissions = PERMISSION_ORDER.filter((p) => letters.includes(p));
  return { kind: 'resource', level, type, permissions, syntax: 'v2', filter: query === undefined ? [] : parseFilter(text, query) };
}

/**
 * Parses an OAuth `scope` value: tokens separated by single spaces (RFC 6749 §3.3). Leading and
 * trailing spaces are tolerated; an empty token inside (two spaces) is an error. Duplicates are
 * dropped; the order is kept.
 */
export function parseScopeString(text: string): ParsedScope[] {
  if (text.length > MAX_SCOPE_STRING_LENGTH) throw new FhirkeepError('invalid-scope', `The scope is longer than ${MAX_SCOPE_STRING_LENGTH} characters`);
  const trimmed = text.replace(/^ +| +$/g, '');
  if (trimmed === '') return [];
  const seen = new Set<string>();
  const out: ParsedScope[] = [];
  for (const token of trimmed.split(' ')) {
    if (token === '') throw new FhirkeepError('invalid-scope', 'Scopes are separated by single spaces (RFC 6749 §3.3)');
    const parsed = parseScope(token);
    const key = formatScope(parsed);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(parsed);
  }
  return out;
}

/** The scope as a token again: for a parsed scope, parseScope(formatScope(s)) equals s. */
export function formatScope(scope: ParsedScope): string {
  if (scope.kind === 'context') return scope.name;
  const letters = scope.permissions.join('');
  const permissions = scope.syntax === 'v1' ? (Object.entries(V1_PERMISSIONS).find(([, p]) => p.join('') === letters)?.[0] ?? letters) : letters;
  const query = scope.filter.length === 0 ? '' : `?${scope.filter.map((p) => `${encodePart(p.name)}=${encodePart(p.value)}`).join('&')}`;
  return `${scope.level}/${scope.type}.${permissions}${query}`;
}

/** `name=value(&name=value)*`, values percent-decoded (RFC 3986 §2.1; `+` stays a plus). */
function parseFilter(text: string, query: string): ScopeFilterParam[] {
  return query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw invalid(text, 'a granular scope query is name=value pairs joined by &');
    const name = pair.slice(0, eq);
    if (!PARAM_NAME.test(name)) throw invalid(text, `"${name.slice(0, 40)}" is not a search parameter name`);
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw invalid(text, 'malformed percent-encoding');
    }
    return { name, value };
  });
}

/** Percent-encodes what would end a pair (`&`, `=`), start an escape (`%`), or break a scope token. */
function encodePart(s: string): string {
  return s.replace(/[%&=]|[^\x21\x23-\x5b\x5d-\x7e]/gu, (c) => encodeURIComponent(c));
}

function invalid(text: string, why: string): FhirkeepError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new FhirkeepError('invalid-scope', `Invalid scope ${JSON.stringify(shown)}: ${why}`);
}
