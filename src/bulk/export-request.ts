import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { auditTrailElsewhere, isStoredType } from '../fhir/audit-trail-type.js';
import { isFhirId } from '../fhir/fhir-id.js';
import { parseInstant } from '../fhir/instant.js';

/** Which population an export covers (Bulk Data IG: system, all patients, one Group's members). */
export type ExportLevel = { readonly kind: 'system' } | { readonly kind: 'patient' } | { readonly kind: 'group'; readonly groupId: string };

/**
 * A kick-off request as parsed, before the scope decides the types: what a job persists
 * (src/storage/bulk/export-job-store.ts), so it holds only JSON values.
 */
export interface ExportRequest {
  readonly level: ExportLevel;
  /** `_type`, in the order given; empty: every type the scope may search. */
  readonly types: readonly string[];
  /** `_since` as an ISO instant: only resources last updated after it. */
  readonly since: string | undefined;
  /** `_typeFilter` by type: each a FHIR search query; a resource matching any of its type's is exported. */
  readonly typeFilters: Readonly<Record<string, readonly string[]>>;
  /**
   * The patients whose compartments are exported: `patient` (Bulk Data 2.0, POST only) and, once
   * kicked off, a Group export's members; undefined: everyone the scope reaches.
   */
  readonly patients: readonly string[] | undefined;
  /** `includeAssociatedData=RelevantProvenanceResources` (or Latest…): Provenance is exported too. */
  readonly includeProvenance: boolean;
  /** What `Prefer: handling=lenient` let through and left out; each becomes an issue of the error file. */
  readonly warnings: readonly string[];
}

/** The parameters a kick-off takes (Bulk Data IG 2.0 §Query Parameters). */
const PARAMETERS = new Set(['_outputFormat', '_since', '_type', '_typeFilter', 'patient', 'includeAssociatedData']);
/** Bulk Data IG: `application/fhir+ndjson` and the two abbreviations servers must accept. */
const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
const PROVENANCE_DATA = new Set(['LatestProvenanceResources', 'RelevantProvenanceResources']);

/** One kick-off parameter: from a query string, or a `Parameters` body's `parameter` (POST). */
export interface ExportParameter {
  readonly name: string;
  readonly value: string;
}

export interface ExportRequestContext {
  readonly level: ExportLevel;
  readonly resourceTypes: ReadonlySet<string>;
  /** The FHIR base, for where the audit trail is searched (it is not exported). */
  readonly fhirBase: string;
  /** `Prefer: handling=lenient`: unknown types, parameters and values are left out instead of refused. */
  readonly lenient: boolean;
  /** POST: the 2.0 `patient` parameter is allowed. */
  readonly post: boolean;
}

/** Parses a kick-off's parameters; throws `invalid-parameter` (400) for anything it cannot honour. */
export function parseExportRequest(parameters: readonly ExportParameter[], ctx: ExportRequestContext): ExportRequest {
  const warnings: string[] = [];
  const refuse = (message: string): void => {
    if (!ctx.lenient) throw new FhirkeepError('invalid-parameter', message);
    warnings.push(message);
  };
  const types: string[] = [];
  const filters: Record<string, string[]> = {};
  const patients: string[] = [];
  let since: string | undefined;
  let includeProvenance = false;
  let sawPatient = false;

  for (const { name, value } of parameters) {
    if (!PARAMETERS.has(name)) {
      refuse(`$export does not support the parameter ${name}`);
      continue;
    }
    switch (name) {
      case '_outputFormat':
        // Not lenient: a client asking for a format it then cannot read gains nothing.
        if (!NDJSON_FORMATS.has(value)) throw new FhirkeepError('invalid-parameter', `_outputFormat: only application/fhir+ndjson is supported, got "${value}"`);
        break;
      case '_since': {
        if (since !== undefined) throw new FhirkeepError('invalid-parameter', '_since may be given once');
        const at = parseInstant(value);
        if (at === undefined) throw new FhirkeepError('invalid-parameter', `_since must be a FHIR instant (e.g. 2024-01-31T12:00:00Z), got "${value}"`);
        since = at.toISOString();
        break;
      }
      case '_type':
        for (const type of value.split(',').map((t) => t.trim())) {
          if (!ctx.resourceTypes.has(type)) refuse(`_type: unknown resource type "${type}"`);
          else if (!isStoredType(type)) refuse(auditTrailElsewhere('_type', ctx.fhirBase));
          else if (!types.includes(type)) types.push(type);
        }
        break;
      case '_typeFilter': {
        const q = value.indexOf('?');
        const type = q < 0 ? value : value.slice(0, q);
        if (q < 0 || q === value.length - 1) throw new FhirkeepError('invalid-parameter', `_typeFilter must be a search query such as Observation?code=1234-5, got "${value}"`);
        if (!ctx.resourceTypes.has(type) || !isStoredType(type)) {
          refuse(ctx.resourceTypes.has(type) ? auditTrailElsewhere('_typeFilter', ctx.fhirBase) : `_typeFilter: unknown resource type "${type}"`);
          break;
        }
        (filters[type] ??= []).push(value.slice(q + 1));
        break;
      }
      case 'patient': {
        sawPatient = true;
        if (!ctx.post) throw new FhirkeepError('invalid-parameter', 'patient is a parameter of POST $export (Bulk Data 2.0), with a Parameters body');
        const id = /^Patient\/([^/]+)$/.exec(value)?.[1];
        if (id === undefined || !isFhirId(id)) throw new FhirkeepError('invalid-parameter', `patient must reference a Patient (Patient/<id>), got "${value}"`);
        if (!patients.includes(id)) patients.push(id);
        break;
      }
      case 'includeAssociatedData':
        for (const kind of value.split(',').map((v) => v.trim())) {
          if (PROVENANCE_DATA.has(kind)) includeProvenance = true;
          else refuse(`includeAssociatedData: "${kind}" is not supported (supported: ${[...PROVENANCE_DATA].join(', ')})`);
        }
        break;
    }
  }
  if (sawPatient && ctx.level.kind === 'system') throw new FhirkeepError('invalid-parameter', 'patient applies to Patient/$export and Group/[id]/$export, not to a system export');
  for (const type of Object.keys(filters)) {
    if (types.length > 0 && !types.includes(type)) {
      refuse(`_typeFilter names ${type}, which _type leaves out`);
      delete filters[type];
    }
  }
  return { level: ctx.level, types, since, typeFilters: filters, patients: sawPatient ? patients : undefined, includeProvenance, warnings };
}

/** A kick-off's query string as parameters (`_type=A,B` stays one value; repeats stay repeats). */
export function queryParameters(query: URLSearchParams): ExportParameter[] {
  return [...query].filter(([name]) => name !== '_format' && name !== '_pretty').map(([name, value]) => ({ name, value }));
}

/**
 * A POST kick-off's `Parameters` body (Bulk Data 2.0) as parameters: each `parameter` with its
 * one primitive value (`valueString`, `valueInstant`, `valueCode` …) or, for `patient`, its
 * `valueReference.reference`.
 */
export function bodyParameters(body: unknown): ExportParameter[] {
  if (!isObject(body) || body.resourceType !== 'Parameters') throw new FhirkeepError('invalid-resource', 'POST $export takes a Parameters resource');
  const list = body.parameter ?? [];
  if (!Array.isArray(list)) throw new FhirkeepError('invalid-resource', 'Parameters.parameter must be an array');
  return list.map((p: unknown, i): ExportParameter => {
    if (!isObject(p) || typeof p.name !== 'string') throw new FhirkeepError('invalid-resource', `Parameters.parameter[${i}] needs a name`);
    const values = Object.entries(p).filter(([key]) => key.startsWith('value'));
    const [entry] = values;
    if (values.length !== 1 || entry === undefined) throw new FhirkeepError('invalid-resource', `Parameters.parameter[${i}] (${p.name}) needs exactly one value[x]`);
    const [key, value] = entry;
    if (key === 'valueReference' && isObject(value) && typeof value.reference === 'string') return { name: p.name, value: value.reference };
    if (typeof value !== 'string') throw new FhirkeepError('invalid-resource', `Parameters.parameter[${i}] (${p.name}) needs a text value, not ${key}`);
    return { name: p.name, value };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
