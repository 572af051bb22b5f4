import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { isStoredType } from '../../fhir/audit-trail-type.js';
import type { ParamRegistry } from '../params/param-registry.js';
import type { SearchLimits } from './search-limits.js';
import type { Clause, SearchQuery } from './search-query.js';

export interface CompartmentOptions {
  /** Only these types (`_type`); every stored compartment type when absent. */
  readonly types?: readonly string[];
  /** Only resources changed after this instant (`_since`). */
  readonly since?: Date;
  readonly count: number;
  readonly cursor?: string;
}

/**
 * The resources in one Patient's compartment (R4 compartmentdefinition-patient: each type's
 * parameters that point at the patient), as one search with every compartment parameter's key
 * in a single reference clause, so the patient's index rows drive it. Each page includes what
 * its resources reference (practitioners, organizations, medications …), as `$everything` asks.
 */
export function compartmentQuery(
  registry: ParamRegistry,
  compartment: Readonly<Record<string, readonly string[]>>,
  limits: Pick<SearchLimits, 'maxIncluded'>,
  patientId: string,
  options: CompartmentOptions,
): SearchQuery {
  // The Patient itself is read, not searched; its AuditEvents are the audit trail's, not stored resources.
  const types = options.types ?? Object.keys(compartment).filter((t) => t !== 'Patient' && isStoredType(t));
  const keys: number[] = [];
  const referenceKeys: number[] = [];
  for (const type of types) {
    const params = registry.forType(type);
    const codes = compartment[type];
    if (params === undefined || codes === undefined) throw new FhirkeepError('invalid-parameter', `_type: ${type} is not in the Patient compartment`);
    for (const code of codes) {
      const p = params.get(code);
      if (p?.type === 'reference' && p.accessor !== undefined) keys.push(p.key);
    }
    for (const p of params.values()) if (p.type === 'reference' && p.accessor !== undefined) referenceKeys.push(p.key);
  }
  const clauses: Clause[] = [{ kind: 'reference', param: { code: 'patient', type: 'reference', keys, target: ['Patient'] }, values: [{ kind: 'local', type: 'Patient', id: patientId }] }];
  if (options.since !== undefined) {
    const t = options.since.getTime();
    clauses.push({ kind: 'last-updated', values: [{ prefix: 'gt', lo: t, hi: t, value: t }] });
  }
  return {
    types,
    clauses,
    sort: [],
    count: options.count,
    // The Patient itself leads the first page, so a counted total would be one short.
    total: 'none',
    summary: undefined,
    elements: undefined,
    include: [{ sourceType: '*', keys: referenceKeys, targetType: undefined, iterate: false }],
    revinclude: [],
    includeLimit: limits.maxIncluded,
    cursor: options.cursor,
    canonical: new URLSearchParams(),
    selection: new URLSearchParams(),
  };
}
