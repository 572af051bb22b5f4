import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorDetail } from '../errors/fhirkeep-error.js';
import type { FhirResource } from '../storage/types.js';

/** An error as ajv's generated code reports it. */
interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

interface Validator {
  (value: unknown): boolean;
  errors?: AjvError[] | null;
}

export type ValidationOutcome =
  | { readonly ok: true; readonly resource: FhirResource }
  | { readonly ok: false; readonly code: 'unknown-type' | 'invalid-resource'; readonly details: readonly ErrorDetail[] };

// Built by scripts/compile-validators.mjs into <repo>/generated/; this module sits two levels below
// the repository root both as src/fhir/*.ts and as dist/fhir/*.js.
const validatorsPath = fileURLToPath(new URL('../../generated/r4-validators.cjs', import.meta.url));
let validators: Record<string, Validator> | undefined;

function load(): Record<string, Validator> {
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
 * Structural validation against the official R4 JSON schema. Every failing path is reported,
 * each with a FHIRPath-style expression (`Patient.name[0].given`).
 */
export function validateResource(value: unknown): ValidationOutcome {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return invalid('invalid-resource', [{ message: 'A resource must be a JSON object' }]);
  }
  const type = (value as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') {
    return invalid('invalid-resource', [{ message: 'resourceType is required and must be a string', expression: 'resourceType' }]);
  }
  const validate = Object.hasOwn(load(), type) ? load()[type] : undefined;
  if (validate === undefined) {
    return invalid('unknown-type', [{ message: `"${type}" is not an R4 resource type`, expression: 'resourceType' }]);
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
  return invalid('invalid-resource', describe(type, validate.errors ?? []));
}

function invalid(code: 'unknown-type' | 'invalid-resource', details: ErrorDetail[]): ValidationOutcome {
  return { ok: false, code, details };
}

/** Turns ajv errors into one detail per distinct path and problem. */
function describe(type: string, errors: readonly AjvError[]): ErrorDetail[] {
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  // A value of the wrong JSON type also fails its pattern; the type error alone says what is wrong.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'pattern' && wrongType.has(e.instancePath)) continue;
    const detail = detailOf(type, e);
    const key = `${detail.expression ?? ''}\u0000${detail.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      details.push(detail);
    }
  }
  return details;
}

function detailOf(type: string, e: AjvError): ErrorDetail {
  const path = fhirPath(type, e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(e.params.additionalProperty);
      return { message: `Unknown element "${name}"`, expression: `${path}.${name}` };
    }
    case 'required':
      return { message: `Missing required element "${String(e.params.missingProperty)}"`, expression: `${path}.${String(e.params.missingProperty)}` };
    case 'enum':
      return { message: `Must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`, expression: path };
    case 'const':
      return { message: `Must be ${JSON.stringify(e.params.allowedValue)}`, expression: path };
    case 'pattern':
      return { message: `Not a valid value for this element's FHIR type`, expression: path };
    case 'type':
      return { message: `Must be of JSON type ${String(e.params.type)}`, expression: path };
    default:
      return { message: e.message ?? e.keyword, expression: path };
  }
}

/** `/name/0/given/1` under Patient → `Patient.name[0].given[1]`. */
function fhirPath(type: string, instancePath: string): string {
  let out = type;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  return out;
}
