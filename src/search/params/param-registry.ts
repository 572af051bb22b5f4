import { loadDefinitions, type R4Definitions, type SearchParameterDefinition } from '../../fhir/definitions.js';
import { compilePathAccessor } from '../extract/path-accessor.js';
import { fhirpathAccessor, type Accessor } from '../extract/fhirpath-r4.js';
import { fhirkeepParams } from './fhirkeep-params.js';
import { paramKey } from './param-key.js';
import type { CompositeDefinition, SearchParam } from './search-param.js';

/** Which engine evaluates expressions: `compiled` (default) uses direct accessors where it can. */
export type ExpressionEngine = 'compiled' | 'fhirpath';

/** Parameters answered from columns of the resources table, never from index rows. */
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);
/** Defined by R4 but needing a text engine or geometry this server does not run. */
const UNINDEXED = new Set(['_text', '_content', '_query', 'near']);

/** Every search parameter of every resource type, compiled once at start. */
export interface ParamRegistry {
  /** The parameters of a type by code (undefined for an unknown type). */
  forType(type: string): ReadonlyMap<string, SearchParam> | undefined;
  /** Every resource type, sorted. */
  readonly resourceTypes: readonly string[];
  /** How many expression parts were compiled to direct accessors, and how many use fhirpath. */
  readonly stats: { readonly compiled: number; readonly fhirpath: number };
}

export function buildParamRegistry(definitions: R4Definitions, engine: ExpressionEngine = 'compiled'): ParamRegistry {
  // R4 base parameters first; a US Core parameter adds only codes the base lacks (race, ethnicity …).
  const all = [...definitions.searchParameters, ...definitions.usCore.searchParameters];
  const byUrl = new Map<string, SearchParameterDefinition>();
  for (const d of all) if (!byUrl.has(d.url)) byUrl.set(d.url, d);
  const stats = { compiled: 0, fhirpath: 0 };
  const accessorFor = (expression: string, base?: string): Accessor => {
    const compiled = engine === 'compiled' ? compilePathAccessor(expression, base) : undefined;
    if (compiled !== undefined) {
      stats.compiled++;
      return compiled;
    }
    stats.fhirpath++;
    return fhirpathAccessor(expression, base);
  };

  const types = [...definitions.resourceTypes].sort();
  const registry = new Map<string, Map<string, SearchParam>>();
  const keys = new Map<number, string>();
  for (const type of types) {
    const params = new Map<string, SearchParam>();
    for (const d of all) {
      if (params.has(d.code) || !appliesTo(d, type)) continue;
      const param = toParam(d, type, accessorFor, byUrl);
      const clash = keys.get(param.key);
      if (clash !== undefined) throw new Error(`Search parameter keys collide: ${clash} and ${type}.${d.code}`);
      keys.set(param.key, `${type}.${d.code}`);
      params.set(d.code, param);
    }
    // After the aliases: Fhirkeep's own parameters are no union of R4's, nor R4's of them.
    const withOwn = withAliases(params, byUrl, type);
    for (const own of fhirkeepParams(type)) {
      const clash = keys.get(own.key) ?? (withOwn.has(own.code) ? `R4's ${type}.${own.code}` : undefined);
      if (clash !== undefined) throw new Error(`Search parameter keys collide: ${clash} and Fhirkeep's ${type}.${own.code}`);
      keys.set(own.key, `${type}.${own.code}`);
      withOwn.set(own.code, own);
    }
    registry.set(type, withOwn);
  }
  return { forType: (type) => registry.get(type), resourceTypes: types, stats };
}

function appliesTo(d: SearchParameterDefinition, type: string): boolean {
  return d.base.includes(type) || d.base.includes('Resource') || (d.base.includes('DomainResource') && !['Bundle', 'Binary', 'Parameters'].includes(type));
}

function toParam(
  d: SearchParameterDefinition,
  type: string,
  accessorFor: (expression: string, base?: string) => Accessor,
  byUrl: ReadonlyMap<string, SearchParameterDefinition>,
): SearchParam {
  const base: Omit<SearchParam, 'accessor' | 'composite'> = {
    key: paramKey(type, d.code),
    code: d.code,
    type: d.type,
    target: d.target ?? [],
    url: d.url,
  };
  if (COLUMN_PARAMS.has(d.code) || UNINDEXED.has(d.code) || d.expression === undefined || d.type === 'special') return base;
  const parts = partsFor(d.expression, type);
  if (parts.length === 0) return base;
  if (d.type === 'composite') {
    const composite = compositeOf(d, parts, accessorFor, byUrl);
    return composite === undefined ? base : { ...base, composite };
  }
  const accessors = parts.map((p) => accessorFor(p));
  const accessor: Accessor = accessors.length === 1 ? (accessors[0] as Accessor) : (node) => accessors.flatMap((a) => a(node));
  return { ...base, accessor };
}

/**
 * Marks parameters whose expression is the union of other parameters' (same type, same
 * components) as aliases of them, so their values are not indexed twice: a fifth of an
 * Observation's index rows were such duplicates.
 */
function withAliases(params: Map<string, SearchParam>, defOf: ReadonlyMap<string, SearchParameterDefinition>, type: string): Map<string, SearchParam> {
  const partsOf = (p: SearchParam): string[] => partsFor(defOf.get(p.url)?.expression ?? '', type);
  const shape = (p: SearchParam): string => `${p.type}\u0000${JSON.stringify(defOf.get(p.url)?.component?.map((c) => c.expression) ?? [])}`;
  const indexed = [...params.values()].filter((p) => p.accessor !== undefined || p.composite !== undefined);
  for (const [code, p] of params) {
    const parts = new Set(partsOf(p));
    if (parts.size < 2) continue;
    // The other parameters of the same shape made only of this one's parts; if together they have them all, it is their union.
    const covering = indexed.filter((q) => q !== p && shape(q) === shape(p) && partsOf(q).every((part) => parts.has(part)) && partsOf(q).length < parts.size);
    const covered = new Set(covering.flatMap(partsOf));
    if (covering.length > 0 && [...parts].every((part) => covered.has(part))) {
      const { accessor: _unused, ...rest } = p;
      params.set(code, { ...rest, aliasOf: covering.map((q) => q.key) });
    }
  }
  return params;
}

/** The union members of an expression that apply to this type (`Observation.code | Condition.code`). */
function partsFor(expression: string, type: string): string[] {
  return expression
    .split(' | ')
    .map((p) => p.trim())
    .filter((p) => {
      const root = /^\(*([A-Za-z]+)/.exec(p)?.[1];
      return root === type || root === 'Resource' || root === 'DomainResource';
    });
}

/**
 * Only two-part composites are indexed: all R4 ones except MolecularSequence's three-part
 * coordinates, which the CapabilityStatement then does not list.
 */
function compositeOf(
  d: SearchParameterDefinition,
  parts: readonly string[],
  accessorFor: (expression: string, base?: string) => Accessor,
  byUrl: ReadonlyMap<string, SearchParameterDefinition>,
): CompositeDefinition | undefined {
  const [first, second, ...more] = d.component ?? [];
  if (first === undefined || second === undefined || more.length > 0) return undefined;
  const a = byUrl.get(first.definition);
  const b = byUrl.get(second.definition);
  if (a === undefined || b === undefined) return undefined;
  return {
    types: [a.type, b.type],
    parts: parts.map((part) => {
      const base = part.replace(/[()]/g, '');
      return { node: accessorFor(part), components: [accessorFor(first.expression, base), accessorFor(second.expression, base)] as const };
    }),
  };
}

let shared: ParamRegistry | undefined;

/** The registry of the R4 definitions Fhirkeep ships, built on the first call and shared after it. */
export function r4ParamRegistry(): ParamRegistry {
  shared ??= buildParamRegistry(loadDefinitions());
  return shared;
}
