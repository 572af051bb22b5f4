import { createHash } from 'node:crypto';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { DynamicContentRow } from '../../storage/content/taxonomy-writes.js';
import { primaryCodings, type Coding } from './primary-code.js';
import { MAX_LABEL, type Taxonomy } from './taxonomy.js';

/** What a record is, derived on write from its primary code (docs/access.md, "Content types and groups"). */
export interface Classification {
  /** The `content_type` column. */
  readonly contentType: string;
  /** The `codes` column: the primary code's codings, `system|code`. */
  readonly codes: string[];
  /** A content type to register before the record is written (auto-register), if any. */
  readonly register: DynamicContentRow | undefined;
}

export type Classifier = (resource: { readonly resourceType: string; readonly [field: string]: unknown }) => Classification;

export interface ClassifierOptions {
  /** FHIRKEEP_CONTENT_AUTO_REGISTER: an unknown code gets a content type of its own. */
  readonly autoRegister: boolean;
}

/**
 * Classifies against the taxonomy's current snapshot, synchronously and deterministically:
 * - a coding maps to a content type only for records of that content type's resource type;
 * - codings mapping to two different content types → 422 naming both;
 * - one content type → it;
 * - none: with auto-register, a name derived from the first coding no content type claims
 *   (`loinc/1234-5`, registered before the record is written), else the resource type itself.
 */
export function createClassifier(taxonomy: Taxonomy, options: ClassifierOptions): Classifier {
  return (resource) => {
    const type = resource.resourceType;
    const codings = primaryCodings(resource);
    const codes = codings.map((c) => `${c.system}|${c.code}`);
    let found: { name: string; coding: string } | undefined;
    let unclaimed: Coding | undefined;
    for (const [i, coding] of codes.entries()) {
      const name = taxonomy.contentOfCode(coding);
      if (name === undefined) {
        // A coding without a system cannot name a content type of its own.
        if (codings[i]?.system !== '') unclaimed ??= codings[i];
        continue;
      }
      if (taxonomy.content(name)?.resourceType !== type) continue;
      if (found === undefined) found = { name, coding };
      else if (found.name !== name) {
        throw new FhirkeepError(
          'unprocessable',
          `The ${type}'s codes name two different content types: ${found.coding} is ${found.name}, ${coding} is ${name}`,
        );
      }
    }
    if (found !== undefined) return { contentType: found.name, codes, register: undefined };
    const dynamic = options.autoRegister && unclaimed !== undefined ? dynamicContent(type, unclaimed) : undefined;
    if (dynamic === undefined) return { contentType: type, codes, register: undefined };
    // The name exists already (its code since removed by an admin, or registered by another type's
    // record): a content type of this resource type is used as it is, another type's never.
    const existing = taxonomy.content(dynamic.name);
    if (existing !== undefined) return { contentType: existing.resourceType === type ? existing.name : type, codes, register: undefined };
    return { contentType: dynamic.name, codes, register: dynamic };
  };
}

/** Short names for the code systems records use most; other systems get a hashed name. */
const SYSTEM_NAMES: Readonly<Record<string, string>> = {
  'http://loinc.org': 'loinc',
  'http://snomed.info/sct': 'snomed',
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'rxnorm',
  'http://hl7.org/fhir/sid/cvx': 'cvx',
  'http://hl7.org/fhir/sid/ndc': 'ndc',
  'http://hl7.org/fhir/sid/icd-10': 'icd10',
  'http://hl7.org/fhir/sid/icd-10-cm': 'icd10cm',
};

/** A code that reads well in a name; anything else (spaces, slashes, very long codes) is hashed. */
const PLAIN_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The content type an unknown coding is registered as: `<system>/<code>` for a well-known system
 * and a plain code (`loinc/1234-5`, `snomed/57427004`), else `code/<16 hex of SHA-256 of
 * system|code>` — the same on every node, safe in URLs and filters, whatever the input.
 */
export function dynamicContentName(system: string, code: string): string {
  const short = SYSTEM_NAMES[system];
  if (short !== undefined && PLAIN_CODE.test(code)) return `${short}/${code}`;
  return `code/${createHash('sha256').update(`${system}|${code}`).digest('hex').slice(0, 16)}`;
}

function dynamicContent(resourceType: string, coding: Coding): DynamicContentRow {
  return {
    name: dynamicContentName(coding.system, coding.code),
    resourceType,
    // The display is the sender's free text: bounded like an admin's label.
    label: (coding.display ?? `${coding.system}|${coding.code}`).slice(0, MAX_LABEL),
    code: { system: coding.system, code: coding.code, display: coding.display },
  };
}
