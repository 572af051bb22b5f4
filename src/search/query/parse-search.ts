import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { isStoredType, refuseAuditTrail } from '../../fhir/audit-trail-type.js';
import type { ParamRegistry } from '../params/param-registry.js';
import type { SearchParam } from '../params/search-param.js';
import { parseCompositeValue } from '../types/composite-match.js';
import { parseDateValue } from '../types/date-match.js';
import { parseNumberValue } from '../types/number-match.js';
import { parseQuantityValue } from '../types/quantity-match.js';
import { parseReferenceValue } from '../types/reference-match.js';
import { isSortable } from '../sql/sort-sql.js';
import type { Clause, IncludeSpec, ResolvedParam, SearchQuery, SortKey, SummaryMode, TotalMode } from './search-query.js';
import type { SearchLimits } from './search-limits.js';
import { parseToken, splitOr, unescape } from './value-syntax.js';

export interface ParseContext {
  readonly registry: ParamRegistry;
  readonly resourceTypes: ReadonlySet<string>;
  readonly limits: SearchLimits;
  /** The server's FHIR base, so absolute references to it are read as local ones. */
  readonly fhirBase: string;
  /** `Prefer: handling=strict` (R4 §3.1.1.7): unknown or unsupported parameters are errors. */
  readonly strict: boolean;
}

/** Parameters that shape results rather than select resources (R4 §3.1.1.5). */
const RESULT_PARAMS = new Set(['_count', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_cursor', '_format', '_pretty', '_type']);
/** Defined by R4, not offered here: refused under strict handling, ignored otherwise. */
const UNSUPPORTED_RESULT_PARAMS = new Set(['_contained', '_containedType', '_score', '_query', '_filter', '_list', '_text', '_content']);
const MODIFIERS: Readonly<Record<string, ReadonlySet<string>>> = {
  token: new Set(['missing', 'not', 'text']),
  string: new Set(['missing', 'exact', 'contains']),
  date: new Set(['missing']),
  number: new Set(['missing']),
  quantity: new Set(['missing']),
  reference: new Set(['missing', 'identifier']),
  uri: new Set(['missing', 'above', 'below']),
  composite: new Set(['missing']),
  special: new Set(),
};
const TOTALS = new Set<TotalMode>(['none', 'estimate', 'accurate']);
const SUMMARIES = new Set<SummaryMode>(['true', 'false', 'count', 'data', 'text']);

/** An unknown parameter under lenient handling: left out of the search and of the self link. */
class Ignored {
  constructor(readonly reason: string) {}
}

/**
 * Parses a search's query string (R4 §3.1.1) for the resource types it covers (one for a
 * type-level search, `_type` or every type for a system-level one) into a SearchQuery. Every
 * malformed value is a 400 with the parameter named; unknown parameters follow `handling`.
 */
export function parseSearch(ctx: ParseContext, types: readonly string[], query: URLSearchParams): SearchQuery {
  const clauses: Clause[] = [];
  const canonical = new URLSearchParams();
  const selection = new URLSearchParams();
  const ignore = (reason: string): void => {
    if (ctx.strict) throw new FhirkeepError('invalid-parameter', `${reason} (Prefer: handling=strict)`);
  };
  for (const [name, value] of query) {
    if (RESULT_PARAMS.has(name.split(':')[0] as string)) continue;
    if (UNSUPPORTED_RESULT_PARAMS.has(name.split(':')[0] as string)) {
      ignore(`The parameter ${name} is not supported`);
      continue;
    }
    const clause = parseClause(ctx, types, name, value, 0);
    if (clause instanceof Ignored) {
      ignore(clause.reason);
      continue;
    }
    clauses.push(clause);
    canonical.append(name, value);
    selection.append(name, value);
  }
  if (clauses.length > ctx.limits.maxClauses) {
    throw new FhirkeepError('invalid-parameter', `A search may combine at most ${ctx.limits.maxClauses} parameters`);
  }
  const count = parseCount(ctx, query.get('_count'));
  const sort = parseSort(ctx, types, query.getAll('_sort'));
  const total = oneOf(query, '_total', TOTALS);
  const summary = oneOf(query, '_summary', SUMMARIES);
  const elements = parseElements(query.getAll('_elements'));
  const include = [...query.entries()].filter(([n]) => n === '_include' || n.startsWith('_include:')).map(([n, v]) => parseInclude(ctx, types, n, v, 'include'));
  const revinclude = [...query.entries()].filter(([n]) => n === '_revinclude' || n.startsWith('_revinclude:')).map(([n, v]) => parseInclude(ctx, types, n, v, 'revinclude'));
  if (include.length + revinclude.length > ctx.limits.maxIncludes) {
    throw new FhirkeepError('invalid-parameter', `A search may have at most ${ctx.limits.maxIncludes} _include and _revinclude parameters`);
  }
  for (const [name, value] of query) {
    const base = name.split(':')[0] as string;
    if (RESULT_PARAMS.has(base) && base !== '_cursor' && base !== '_format' && base !== '_pretty') canonical.append(name, value);
  }
  return {
    types,
    clauses,
    sort,
    count,
    total,
    summary,
    elements,
    include,
    revinclude,
    includeLimit: ctx.limits.maxIncluded,
    cursor: query.get('_cursor') ?? undefined,
    canonical,
    selection,
  };
}

function parseClause(ctx: ParseContext, types: readonly string[], name: string, value: string, depth: number): Clause | Ignored {
  if (name.startsWith('_has:')) return parseHas(ctx, name, value, depth);
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  const [code = '', modifier, ...extra] = head.split(':');
  if (extra.length > 0) throw new FhirkeepError('invalid-parameter', `${name}: a parameter has at most one modifier`);
  if (dot >= 0) return parseChain(ctx, types, name, code, modifier, name.slice(dot + 1), value, depth);
  if (value === '') throw new FhirkeepError('invalid-parameter', `Search parameter ${name} has no value`);
  const raw = splitOr(value);
  if (raw.length > ctx.limits.maxOrValues) throw new FhirkeepError('invalid-parameter', `${name} has more than ${ctx.limits.maxOrValues} values`);

  if (code === '_id') {
    if (modifier !== undefined && modifier !== 'not') throw unknownModifier(name, modifier);
    return { kind: 'id', not: modifier === 'not', ids: raw.map(unescape) };
  }
  if (code === '_lastUpdated') {
    if (modifier !== undefined) throw unknownModifier(name, modifier);
    return { kind: 'last-updated', values: raw.map((v) => parseDateValue(v, name)) };
  }
  const resolved = resolve(ctx, types, code);
  if (resolved instanceof Ignored) return resolved;
  const { param, defs } = resolved;
  const typeModifier = modifier !== undefined && param.type === 'reference' && ctx.resourceTypes.has(modifier) ? modifier : undefined;
  if (modifier !== undefined && typeModifier === undefined && !MODIFIERS[param.type]?.has(modifier)) throw unknownModifier(name, modifier);
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false') throw new FhirkeepError('invalid-parameter', `${name} takes true or false`);
    return { kind: 'missing', param, missing: value === 'true' };
  }
  switch (param.type) {
    case 'token':
      if (modifier === 'text') return { kind: 'token-text', param, values: raw.map(unescape) };
      return { kind: 'token', param, modifier: modifier === 'not' ? 'not' : undefined, values: raw.map((v) => parseToken(v, name)) };
    case 'string':
      return { kind: 'string', param, modifier: modifier === 'exact' || modifier === 'contains' ? modifier : undefined, values: raw.map(unescape) };
    case 'date':
      return { kind: 'date', param, values: raw.map((v) => parseDateValue(v, name)) };
    case 'number':
      return { kind: 'number', param, values: raw.map((v) => parseNumberValue(v, name)) };
    case 'quantity':
      return { kind: 'quantity', param, values: raw.map((v) => parseQuantityValue(v, name)) };
    case 'reference':
      return { kind: 'reference', param, values: raw.map((v) => parseReferenceValue(v, name, ctx.fhirBase, typeModifier, modifier === 'identifier')) };
    case 'uri':
      return { kind: 'uri', param, modifier: modifier === 'above' || modifier === 'below' ? modifier : undefined, values: raw.map(unescape) };
    case 'composite': {
      const second = (defs[0] as SearchParam).composite?.types[1];
      if (second === undefined) return new Ignored(`The composite parameter ${code} is not supported`);
      return { kind: 'composite', param, values: raw.map((v) => parseCompositeValue(v, name, second)) };
    }
    case 'special':
      return new Ignored(`The parameter ${code} is not supported`);
  }
}

/** `ref[:Type].rest` (R4 §3.1.1.4.14): the chained parameter on each possible target type. */
function parseChain(ctx: ParseContext, types: readonly string[], name: string, code: string, modifier: string | undefined, rest: string, value: string, depth: number): Clause | Ignored {
  if (depth + 1 > ctx.limits.maxChainDepth) throw new FhirkeepError('invalid-parameter', `${name}: chains may be at most ${ctx.limits.maxChainDepth} levels deep`);
  const resolved = resolve(ctx, types, code);
  if (resolved instanceof Ignored) return resolved;
  const { param } = resolved;
  if (param.type !== 'reference') throw new FhirkeepError('invalid-parameter', `${name}: only reference parameters can be chained, ${code} is a ${param.type}`);
  if (modifier !== undefined && !ctx.resourceTypes.has(modifier)) throw unknownModifier(name, modifier);
  if (modifier !== undefined && !isStoredType(modifier)) throw refuseAuditTrail(name, ctx.fhirBase);
  const candidates = modifier !== undefined ? [modifier] : param.target.length > 0 ? param.target : [...ctx.resourceTypes];
  const targets: { type: string; inner: Clause }[] = [];
  const chained = rest.split(/[.:]/)[0] as string;
  for (const type of candidates) {
    if (!ctx.resourceTypes.has(type) || !isStoredType(type)) continue;
    if (chained !== '_id' && chained !== '_lastUpdated' && !rest.startsWith('_has:') && ctx.registry.forType(type)?.get(chained) === undefined) continue;
    const inner = parseClause(ctx, [type], rest, value, depth + 1);
    if (inner instanceof Ignored) return inner;
    targets.push({ type, inner });
  }
  if (targets.length === 0) return new Ignored(`${name}: no type ${code} may refer to has a parameter ${chained}`);
  return { kind: 'chain', param, targets };
}

/** `_has:Type:ref:param=value` (R4 §3.1.1.4.15), nested `_has` allowed. */
function parseHas(ctx: ParseContext, name: string, value: string, depth: number): Clause | Ignored {
  const [, type = '', ref = '', ...restParts] = name.split(':');
  const rest = restParts.join(':');
  if (type === '' || ref === '' || rest === '') throw new FhirkeepError('invalid-parameter', `${name}: _has takes the form _has:Type:reference:parameter`);
  if (depth + 1 > ctx.limits.maxChainDepth) throw new FhirkeepError('invalid-parameter', `${name}: _has may be nested at most ${ctx.limits.maxChainDepth} levels deep`);
  if (!ctx.resourceTypes.has(type)) throw new FhirkeepError('invalid-parameter', `${name}: unknown resource type ${type}`);
  if (!isStoredType(type)) throw refuseAuditTrail(name, ctx.fhirBase);
  const refParam = resolve(ctx, [type], ref);
  if (refParam instanceof Ignored) return refParam;
  if (refParam.param.type !== 'reference') throw new FhirkeepError('invalid-parameter', `${name}: ${type}.${ref} is not a reference parameter`);
  const inner = parseClause(ctx, [type], rest, value, depth + 1);
  if (inner instanceof Ignored) return inner;
  return { kind: 'has', type, ref: refParam.param, inner };
}

/** The parameter `code` on every searched type; all must have it, with one type. */
function resolve(ctx: ParseContext, types: readonly string[], code: string): { param: ResolvedParam; defs: SearchParam[] } | Ignored {
  const defs: SearchParam[] = [];
  for (const type of types) {
    const p = ctx.registry.forType(type)?.get(code);
    if (p === undefined) return new Ignored(`Unknown search parameter "${code}" for ${types.length === 1 ? type : types.join(', ')}`);
    defs.push(p);
  }
  const first = defs[0];
  if (first === undefined) return new Ignored(`Unknown search parameter "${code}"`);
  if (defs.some((d) => d.type !== first.type)) throw new FhirkeepError('invalid-parameter', `The parameter ${code} has different types across ${types.join(', ')}`);
  if (first.accessor === undefined && first.composite === undefined && first.aliasOf === undefined) return new Ignored(`The parameter ${code} is not supported`);
  return { param: { code, type: first.type, keys: defs.flatMap((d) => d.aliasOf ?? [d.key]), target: [...new Set(defs.flatMap((d) => d.target))] }, defs };
}

function parseCount(ctx: ParseContext, value: string | null): number {
  if (value === null) return ctx.limits.defaultCount;
  if (!/^\d{1,9}$/.test(value)) throw new FhirkeepError('invalid-parameter', `_count must be a whole number, got "${value}"`);
  return Math.min(Number(value), ctx.limits.maxCount);
}

function parseSort(ctx: ParseContext, types: readonly string[], values: readonly string[]): SortKey[] {
  const keys = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
  return keys.map((k) => {
    const descending = k.startsWith('-');
    const code = descending ? k.slice(1) : k;
    if (code === '_id' || code === '_lastUpdated') return { code, descending, param: code };
    const resolved = resolve(ctx, types, code);
    if (resolved instanceof Ignored) throw new FhirkeepError('invalid-parameter', `_sort: ${resolved.reason}`);
    if (!isSortable(resolved.param.type)) throw new FhirkeepError('invalid-parameter', `_sort: ${code} is a ${resolved.param.type} parameter and cannot be sorted on`);
    return { code, descending, param: resolved.param };
  });
}

function oneOf<T extends string>(query: URLSearchParams, name: string, allowed: ReadonlySet<T>): T | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!allowed.has(value as T)) throw new FhirkeepError('invalid-parameter', `${name} must be one of ${[...allowed].join(', ')}, got "${value}"`);
  return value as T;
}

function parseElements(values: readonly string[]): string[] | undefined {
  if (values.length === 0) return undefined;
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  for (const n of names) if (!/^[A-Za-z][A-Za-z0-9]*$/.test(n)) throw new FhirkeepError('invalid-parameter', `_elements: "${n}" is not an element name`);
  return names;
}

/** `Type:param[:targetType]` or `Type:*` or `*`, with `:iterate` on the parameter name (R4 §3.1.1.5.4). */
function parseInclude(ctx: ParseContext, types: readonly string[], name: string, value: string, kind: 'include' | 'revinclude'): IncludeSpec {
  const modifier = name.split(':')[1];
  if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') throw unknownModifier(name, modifier);
  const iterate = modifier !== undefined;
  const [sourceType = '', code = '', targetType, ...extra] = value.split(':');
  if (value === '*') {
    const keys = types.flatMap((t) => [...(ctx.registry.forType(t)?.values() ?? [])].filter((p) => p.type === 'reference' && p.accessor !== undefined).map((p) => p.key));
    return { sourceType: '*', keys, targetType: undefined, iterate };
  }
  if (extra.length > 0 || code === '' || !ctx.resourceTypes.has(sourceType)) {
    throw new FhirkeepError('invalid-parameter', `${name}=${value}: expected ResourceType:parameter[:TargetType]`);
  }
  if (targetType !== undefined && !ctx.resourceTypes.has(targetType)) throw new FhirkeepError('invalid-parameter', `${name}=${value}: unknown target type ${targetType}`);
  if (!isStoredType(sourceType) || (targetType !== undefined && !isStoredType(targetType))) throw refuseAuditTrail(`${name}=${value}`, ctx.fhirBase);
  if (kind === 'include' && !iterate && !types.includes(sourceType)) {
    throw new FhirkeepError('invalid-parameter', `${name}=${value}: ${sourceType} is not a type this search returns`);
  }
  const params = ctx.registry.forType(sourceType) ?? new Map<string, SearchParam>();
  if (code === '*') {
    const keys = [...params.values()].filter((p) => p.type === 'reference' && p.accessor !== undefined).map((p) => p.key);
    return { sourceType, keys, targetType, iterate };
  }
  const param = params.get(code);
  if (param === undefined || param.type !== 'reference') {
    throw new FhirkeepError('invalid-parameter', `${name}=${value}: ${sourceType} has no reference parameter ${code}`);
  }
  return { sourceType, keys: [param.key], targetType, iterate };
}

function unknownModifier(name: string, modifier: string): FhirkeepError {
  return new FhirkeepError('invalid-parameter', `${name}: the modifier :${modifier} is not supported here`);
}
