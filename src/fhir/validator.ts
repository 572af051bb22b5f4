import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorDetail } from '../errors/fhirkeep-error.js';
import type { FhirResource } from '../storage/types.js';

/** An error as ajv's generated code reports it. */
interface AjvError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

interface Validator {
  (value: unknown): boolean;
  errors?: AjvError[] | null;
}

export type ValidationOutcome =
  | { readonly ok: true; readonly resource: FhirResource }
  | { readonly ok: false; readonly code: 'unknown-type' | 'invalid-resource'; readonly details: readonly ErrorDetail[] };

/** Most problems listed for one resource: the rest are counted, so a huge bad body cannot produce a huger answer. */
export const MAX_DETAILS = 100;

// Built by scripts/compile-validators.mjs into <repo>/generated/; this module sits two levels below
// the repository root both as src/fhir/*.ts and as dist/fhir/*.js.
const validatorsPath = fileURLToPath(new URL('../../generated/r4-validators.cjs', import.meta.url));
let validators: Readonly<Record<string, Validator>> | undefined;

function load(): Readonly<Record<string, Validator>> {
  if (validators === undefined) {
    try {
      validators = createRequire(import.meta.url)(validatorsPath) as Record<string, Validator>;
    } catch (e) {
      throw new Error(`The precompiled R4 validators are missing (${validatorsPath}); run "npm run build": ${(e as Error).message}`);
    }
  }
  return validators;
}

/** Loads the validators now rather than on the first write (keeps that request fast). */
export function preloadValidators(): void {
  load();
}

/**
 * Structural validation against the official R4 JSON schema (with Fhirkeep's fixes, see
 * definitions/r4/PROVENANCE.md). Every failing path is reported, each with a FHIRPath-style
 * expression (`Patient.name[0].given[1]`). A body that is no JSON object, or has no resourceType,
 * is `invalid-resource`; a resourceType R4 does not define is `unknown-type`.
 */
export function validateResource(value: unknown): ValidationOutcome {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return invalid('invalid-resource', [{ message: `A resource must be a JSON object, found ${describeValue(value)}` }]);
  }
  const type = (value as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') {
    const message = type === undefined ? 'resourceType is required' : `resourceType must be a string, found ${describeValue(type)}`;
    return invalid('invalid-resource', [{ message, expression: 'resourceType' }]);
  }
  const all = load();
  const validate = Object.hasOwn(all, type) ? all[type] : undefined;
  if (validate === undefined) {
    return invalid('unknown-type', [{ message: `${JSON.stringify(type)} is not an R4 resource type`, expression: 'resourceType' }]);
  }
  let valid: boolean;
  try {
    valid = validate(value);
  } catch (e) {
    // The generated validators recurse: absurd nesting (thousands of levels) exhausts the stack.
    if (e instanceof RangeError) return invalid('invalid-resource', [{ message: 'The resource is nested too deeply' }]);
    throw e;
  }
  if (valid) return { ok: true, resource: value as FhirResource };
  return invalid('invalid-resource', describe(type, value, validate.errors ?? []));
}

function invalid(code: 'unknown-type' | 'invalid-resource', details: ErrorDetail[]): ValidationOutcome {
  return { ok: false, code, details };
}

/** Turns ajv errors into one detail per distinct path and problem. */
function describe(type: string, resource: object, errors: readonly AjvError[]): ErrorDetail[] {
  // A value of the wrong JSON type fails nothing else worth saying at the same path.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const e of errors) {
    if (e.keyword !== 'type' && wrongType.has(e.instancePath)) continue;
    const detail = detailOf(type, resource, e);
    const key = `${detail.expression ?? ''}\u0000${detail.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      details.push(detail);
    }
  }
  if (details.length <= MAX_DETAILS) return details;
  const rest = details.length - MAX_DETAILS;
  return [...details.slice(0, MAX_DETAILS), { message: `${rest} more problem${rest === 1 ? '' : 's'} not listed` }];
}

function detailOf(type: string, resource: object, e: AjvError): ErrorDetail {
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = fhirPath(type, segments);
  const found = (): string => describeValue(valueAt(resource, segments));
  const p = e.params;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      return { message: `Unknown element "${name}"`, expression: child(path, name) };
    }
    case 'required':
    case 'fhirRequired': {
      // `value[x]`: a required choice element, any of whose types will do.
      const name = String(p.missingProperty);
      return { message: `Missing required element "${name}"`, expression: child(path, name.replace(/\[x\]$/, '')) };
    }
    case 'fhirChoice': {
      const [first, second] = p.found as [string, string];
      return {
        message: `"${String(p.element)}[x]" takes one type, found both "${first}" and "${second}"`,
        expression: child(path, String(p.element)),
      };
    }
    case 'discriminator': {
      // A contained resource or a Bundle entry's resource: its schema is chosen by its resourceType.
      const expression = child(path, 'resourceType');
      if (p.error === 'mapping') return { message: `${JSON.stringify(p.tagValue)} is not an R4 resource type`, expression };
      const tag = valueAt(resource, [...segments, 'resourceType']);
      // The same words as the `required` error at this path, so the two collapse into one detail.
      const message = tag === undefined ? 'Missing required element "resourceType"' : `resourceType must be a string, found ${describeValue(tag)}`;
      return { message, expression };
    }
    case 'type':
      return { message: `Expected ${expectedType(p.type)}, found ${found()}`, expression: path };
    case 'enum':
      return { message: `${found()} is not one of the allowed codes: ${listOf(p.allowedValues as readonly unknown[])}`, expression: path };
    case 'const':
      return { message: `Must be ${JSON.stringify(p.allowedValue)}, found ${found()}`, expression: path };
    case 'pattern':
    case 'fhirCalendarDate':
      return { message: `${found()} is not a valid ${primitiveType(e.schemaPath)}`, expression: path };
    case 'minimum':
    case 'maximum':
      return { message: `Must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}, found ${found()}`, expression: path };
    default:
      return { message: e.message ?? e.keyword, expression: path };
  }
}

/** `#/definitions/date/pattern` → `FHIR date`; an inline pattern → `value`. */
function primitiveType(schemaPath: string): string {
  const m = /^#\/definitions\/([a-z][A-Za-z0-9]*)\//.exec(schemaPath);
  return m === null ? 'value' : `FHIR ${m[1] as string}`;
}

/**
 * `name/0/_given/1` under Patient → `Patient.name[0].given[1]`. A primitive's extensions (`_given`)
 * are the primitive's children in FHIRPath, so the underscore goes.
 */
function fhirPath(type: string, segments: readonly string[]): string {
  let out = type;
  for (const part of segments) out = /^\d+$/.test(part) ? `${out}[${part}]` : child(out, part.replace(/^_(?=.)/, ''));
  return out;
}

/** FHIRPath quotes names that are not identifiers in backticks. */
function child(path: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${path}.${name}` : `${path}.\`${name.replace(/[`\\]/g, '\\$&')}\``;
}

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let v = root;
  for (const s of segments) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/** A short, safe description of a JSON value for a message (long strings are cut). */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v === undefined) return 'nothing';
  return String(v);
}

/** ajv's `type` param (`object`, or `object,null` for several) in words: `an object or null`. */
function expectedType(type: unknown): string {
  return String(type)
    .split(',')
    .map((t) => (t === 'null' ? 'null' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`))
    .join(' or ');
}

function listOf(values: readonly unknown[]): string {
  const shown = values.slice(0, 12).map(String).join(', ');
  return values.length > 12 ? `${shown}, … (${values.length} codes)` : shown;
}
