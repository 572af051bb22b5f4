import type { ParsedScope, ResourceScope, SmartPermission } from '../auth/smart/scopes.js';
import { formatScope } from '../auth/smart/scopes.js';
import { BoundedCache } from '../bounded-cache.js';
import { FhirkeepError, isFhirkeepError } from '../errors/fhirkeep-error.js';
import type { Clause, SearchQuery } from '../search/query/search-query.js';
import type { AccessScope, ReadRule, SmartGrant, SmartRule, WriteRule } from './scope.js';

/** What compiling scopes needs to know of the server's definitions. */
export interface SmartDefinitions {
  readonly resourceTypes: ReadonlySet<string>;
  /** The types of the R4 Patient compartment (compartmentdefinition-patient). */
  readonly compartmentTypes: ReadonlySet<string>;
  /** The search parser (src/search/query/parse-search.ts): granular scopes are searches. */
  readonly parseSearch: (types: readonly string[], query: URLSearchParams, strict: boolean) => SearchQuery;
}

/** The launch context a token carries (SMART `patient` token response parameter). */
export interface SmartLaunchContext {
  readonly patient?: string;
}

/**
 * Compiles a token's scopes into the read and write rules storage enforces. Context scopes
 * (openid, launch …) grant no data. `user/` and `system/` scopes gate types and interactions
 * only (the access-engine issue adds consents to them); `patient/` scopes reach the context
 * patient's compartment. A granular scope's query is parsed as a search on its type, strictly:
 * a parameter the type lacks, a result parameter (`_count` …), a chain or `_has` is an
 * `invalid-scope` error, never silently dropped (that would widen the scope). With `*`, types
 * lacking a parameter of the filter get nothing from that scope.
 */
export function compileSmartScopes(scopes: readonly ParsedScope[], launch: SmartLaunchContext, defs: SmartDefinitions): { read: ReadRule; write: WriteRule } {
  const rule = compileSmartRule(scopes, launch, defs);
  return { read: rule, write: rule };
}

/** The one rule compileSmartScopes applies to reads and writes. */
export function compileSmartRule(scopes: readonly ParsedScope[], launch: SmartLaunchContext, defs: SmartDefinitions): SmartRule {
  return { kind: 'smart', types: grantsOf(scopes, defs), patient: launch.patient, compartmentTypes: defs.compartmentTypes, resourceTypes: defs.resourceTypes };
}

/**
 * Each type's grants under some scopes. They depend on the scopes alone (the launch patient
 * is kept in the rule beside them), and requests repeat the few scope strings their tokens carry,
 * while compiling costs up to milliseconds (a `*` scope's filter is parsed for every type):
 * so each scope string is compiled once per definitions, not once per request.
 */
function grantsOf(scopes: readonly ParsedScope[], defs: SmartDefinitions): ReadonlyMap<string, readonly SmartGrant[]> {
  const key = JSON.stringify(scopes.flatMap((s) => (s.kind === 'resource' ? [[s.level, s.type, s.permissions, s.filter]] : [])));
  let cache = compiled.get(defs);
  // Bounded: distinct scope strings are few, but they come from tokens, not from us.
  if (cache === undefined) compiled.set(defs, (cache = new BoundedCache(MAX_COMPILED)));
  return cache.getOrSet(key, () => compileGrants(scopes, defs));
}

const compiled = new WeakMap<SmartDefinitions, BoundedCache<string, ReadonlyMap<string, readonly SmartGrant[]>>>();
const MAX_COMPILED = 1000;

function compileGrants(scopes: readonly ParsedScope[], defs: SmartDefinitions): ReadonlyMap<string, readonly SmartGrant[]> {
  const types = new Map<string, SmartGrant[]>();
  for (const scope of scopes) {
    if (scope.kind !== 'resource') continue;
    const permissions: ReadonlySet<SmartPermission> = new Set(scope.permissions);
    const named = scope.type === '*' ? [...defs.resourceTypes] : defs.resourceTypes.has(scope.type) ? [scope.type] : [];
    for (const type of named) {
      const filter = filterOf(scope, type, defs);
      if (filter === null) continue;
      const grants = types.get(type) ?? [];
      grants.push({ permissions, patientOnly: scope.level === 'patient', filter });
      types.set(type, grants);
    }
  }
  return types;
}

/** The scope's filter as clauses on `type`; undefined without one; null when a `*` scope's filter does not apply to the type. */
function filterOf(scope: ResourceScope, type: string, defs: SmartDefinitions): readonly Clause[] | undefined | null {
  if (scope.filter.length === 0) return undefined;
  const query = new URLSearchParams(scope.filter.map((p): [string, string] => [p.name, p.value]));
  let clauses: readonly Clause[];
  try {
    clauses = defs.parseSearch([type], query, true).clauses;
  } catch (e) {
    if (!isFhirkeepError(e) || e.code !== 'invalid-parameter') throw e;
    if (scope.type === '*') return null;
    throw new FhirkeepError('invalid-scope', `The scope ${formatScope(scope)} is not a search on ${type}: ${e.message}`);
  }
  // Result parameters (`_count`, `_sort` …) parse to no clause: the scope would then filter nothing.
  if (clauses.length !== scope.filter.length) throw new FhirkeepError('invalid-scope', `The scope ${formatScope(scope)} may only use search parameters that select resources`);
  if (clauses.some((c) => c.kind === 'chain' || c.kind === 'has')) {
    throw new FhirkeepError('invalid-scope', `The scope ${formatScope(scope)} uses a chain or _has, which granular scopes do not support`);
  }
  return clauses;
}

/** Reads (r, s) are the read rule's to allow, writes (c, u, d) the write rule's. */
function ruleFor(scope: AccessScope, permission: SmartPermission): ReadRule | WriteRule {
  return permission === 'r' || permission === 's' ? scope.read : scope.write;
}

/** Whether some scope allows `permission` on `type` at all (rows may still be limited). */
export function isPermitted(scope: AccessScope, permission: SmartPermission, type: string): boolean {
  return refusal(ruleFor(scope, permission), permission, type) === undefined;
}

/**
 * A type the token has no scope for at all is refused with 403 before any query runs (SMART
 * App Launch: the server returns 403 for a request outside the granted scopes); rows of a type
 * it does have a scope for but outside that scope's reach are simply not found. A type the
 * application's access filter cannot match is refused the same way: its implied scopes
 * (src/access/filter/implied-scopes.ts) do not name it.
 */
export function requirePermission(scope: AccessScope, permission: SmartPermission, type: string): void {
  const reason = refusal(ruleFor(scope, permission), permission, type);
  if (reason !== undefined) throw new FhirkeepError('forbidden', reason);
}

function refusal(rule: ReadRule | WriteRule, permission: SmartPermission, type: string): string | undefined {
  if (rule.kind !== 'smart' && rule.kind !== 'consented') return undefined;
  const smart = rule.kind === 'smart' ? rule : rule.smart;
  if (!(smart.types.get(type)?.some((g) => g.permissions.has(permission)) ?? false)) return `The token's scopes do not allow ${NAMES[permission]} on ${type}`;
  if (rule.kind === 'consented' && !rule.blocks.some((b) => b.types === undefined || b.types.has(type))) return `The application's access filter does not cover ${type}`;
  return undefined;
}

const NAMES: Readonly<Record<SmartPermission, string>> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
