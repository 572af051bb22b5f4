import type { ElementSummary } from '../../fhir/definitions.js';
import type { SummaryMode } from '../../search/query/search-query.js';

/** R4 §3.1.1.5.10: a subsetted resource is marked so nobody mistakes it for the whole. */
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS = ['resourceType', 'id', 'meta'];

export interface SubsetRequest {
  readonly summary: SummaryMode | undefined;
  readonly elements: readonly string[] | undefined;
}

/**
 * `_summary` (true: summary elements; text: text, id, meta and mandatory ones; data: all but
 * text) and `_elements` (the listed top-level elements plus mandatory ones), or the stored
 * text untouched when neither applies.
 */
export function subsetJson(json: string, type: string, request: SubsetRequest, elements: Readonly<Record<string, ElementSummary>>): string {
  const { summary, elements: listed } = request;
  if ((summary === undefined || summary === 'false') && listed === undefined) return json;
  const info = elements[type];
  if (info === undefined) return json;
  const keep = new Set<string>(ALWAYS);
  const names = (base: readonly string[]): string[] => base.flatMap((n) => [n, ...(info.choice[n] ?? [])]);
  if (summary === 'true') names(info.summary).forEach((n) => keep.add(n));
  else if (summary === 'text') ['text', ...names(info.mandatory)].forEach((n) => keep.add(n));
  else if (summary === 'data') return withTag(without(JSON.parse(json) as Record<string, unknown>, 'text'));
  else names([...(listed ?? []), ...info.mandatory]).forEach((n) => keep.add(n));
  const resource = JSON.parse(json) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) if (keep.has(k) || keep.has(k.replace(/^_/, ''))) out[k] = v;
  return withTag(out);
}

function without(resource: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = resource;
  return rest;
}

function withTag(resource: Record<string, unknown>): string {
  const meta = (resource.meta ?? {}) as { tag?: unknown[] };
  resource.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return JSON.stringify(resource);
}
