import { isStoredType } from '../../fhir/audit-trail-type.js';
import type { R4Definitions, SearchParameterDefinition } from '../../fhir/definitions.js';
import type { ParamRegistry } from './param-registry.js';
import type { SearchParam } from './search-param.js';

/** What the CapabilityStatement says about search: exactly what the registry can answer. */
export interface AdvertisedSearch {
  readonly searchParams: readonly SearchParameterDefinition[];
  readonly searchIncludes: (type: string) => readonly string[];
  readonly searchRevIncludes: (type: string) => readonly string[];
}

export function advertisedSearch(registry: ParamRegistry, definitions: R4Definitions): AdvertisedSearch {
  const answerable = (p: SearchParam): boolean => p.accessor !== undefined || p.composite !== undefined || p.aliasOf !== undefined || p.code === '_id' || p.code === '_lastUpdated';
  const urls = new Set<string>();
  const references = new Map<string, SearchParam[]>();
  const pointingAt = new Map<string, string[]>();
  // The audit trail is no stored resource: its search is its own (src/rest/audit-events.ts), and nothing revincludes it.
  for (const type of registry.resourceTypes.filter(isStoredType)) {
    const params = [...(registry.forType(type)?.values() ?? [])].filter(answerable);
    for (const p of params) urls.add(p.url);
    const refs = params.filter((p) => p.type === 'reference' && p.accessor !== undefined);
    references.set(type, refs);
    for (const p of refs) for (const target of p.target) pointingAt.set(target, [...(pointingAt.get(target) ?? []), `${type}:${p.code}`]);
  }
  const seen = new Set<string>();
  const searchParams = [...definitions.searchParameters, ...definitions.usCore.searchParameters].filter((d) => {
    if (!urls.has(d.url) || seen.has(d.url)) return false;
    seen.add(d.url);
    return true;
  });
  return {
    searchParams,
    searchIncludes: (type) => {
      const refs = references.get(type) ?? [];
      return refs.length === 0 ? [] : [...refs.map((p) => `${type}:${p.code}`).sort(), `${type}:*`];
    },
    searchRevIncludes: (type) => [...(pointingAt.get(type) ?? [])].sort(),
  };
}
