import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { isFhirId } from '../fhir/fhir-id.js';
import type { OrderedValue } from '../search/query/search-query.js';
import type { SearchLimits } from '../search/query/search-limits.js';
import { parseToken, splitOr, unescape } from '../search/query/value-syntax.js';
import { decodeCursor } from '../search/sql/search-cursor.js';
import { parseDateValue } from '../search/types/date-match.js';
import { AUDIT_EVENT_ACTION, AUDIT_EVENT_OUTCOME, subtypeSystem, typeSystem } from './audit-event-codes.js';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditOutcome } from './audit-row.js';

/** One AND-ed condition of an audit search; the values of each are OR-ed. */
export type AuditClause =
  | { readonly kind: 'date'; readonly values: readonly OrderedValue[] }
  | { readonly kind: 'patient'; readonly ids: readonly string[] }
  /** The application or the person: a client id or an account id. */
  | { readonly kind: 'agent'; readonly ids: readonly string[] }
  /** The application alone (the account holder's access log filters by it). */
  | { readonly kind: 'client'; readonly ids: readonly string[] }
  | { readonly kind: 'entity'; readonly refs: readonly string[] }
  /** Codes of a column; none left (a system that is not the code's): the clause matches nothing. */
  | { readonly kind: 'code'; readonly column: 'type' | 'subtype' | 'action'; readonly codes: readonly string[] }
  | { readonly kind: 'outcome'; readonly codes: readonly AuditOutcome[] };

/** A search of the audit trail, newest first, paged by keyset on the row number. */
export interface AuditSearch {
  readonly clauses: readonly AuditClause[];
  readonly count: number;
  /** Only rows written before this one (`seq`): where the page starts. */
  readonly before: string | undefined;
  /** The parameters the search ran with, for its links (paging adds `_cursor`). */
  readonly canonical: URLSearchParams;
}

export interface AuditSearchOptions {
  /** This server's FHIR base: an absolute reference to it is read as a local one. */
  readonly fhirBase: string;
  /** `_count`, as every search reads it (src/rest/page-size.ts). */
  readonly count: (value: string | null) => number;
  /** Unknown parameters are errors; with `Prefer: handling=lenient` they are left out instead. */
  readonly strict: boolean;
  /** The bounds every search has (FHIRKEEP_MAX_SEARCH_CLAUSES, FHIRKEEP_MAX_OR_VALUES). */
  readonly limits: Pick<SearchLimits, 'maxClauses' | 'maxOrValues'>;
}

/** Result parameters that shape nothing here: content negotiation reads `_format` before the router. */
const PASSED = new Set(['_format', '_pretty']);

type ClauseParser = (values: readonly string[], name: string, o: AuditSearchOptions) => AuditClause;

/** The AuditEvent search parameters of R4 that this trail answers (docs/audit-reading.md). */
const PARAMETERS: Readonly<Record<string, ClauseParser>> = {
  date: (values, name) => ({ kind: 'date', values: values.map((v) => parseDateValue(v, name)) }),
  patient: (values, name, o) => ({ kind: 'patient', ids: values.map((v) => patientId(v, name, o.fhirBase)) }),
  agent: (values, name) => ({ kind: 'agent', ids: values.map((v) => nonEmpty(unescape(v), name)) }),
  entity: (values, name, o) => ({ kind: 'entity', refs: values.map((v) => entityRef(v, name, o.fhirBase)) }),
  type: (values, name) => ({ kind: 'code', column: 'type', codes: codesOf(values, name, typeSystem) }),
  subtype: (values, name) => ({ kind: 'code', column: 'subtype', codes: codesOf(values, name, subtypeSystem) }),
  action: (values, name) => ({ kind: 'code', column: 'action', codes: codesOf(values, name, () => AUDIT_EVENT_ACTION).map((c) => oneOf(c, AUDIT_ACTIONS, name)) }),
  outcome: (values, name) => ({
    kind: 'outcome',
    codes: codesOf(values, name, () => AUDIT_EVENT_OUTCOME).map((c) => Number(oneOf(c, AUDIT_OUTCOMES.map(String), name)) as AuditOutcome),
  }),
};

/** The codes of those parameters, as the CapabilityStatement lists them. */
export const AUDIT_SEARCH_CODES: readonly string[] = Object.keys(PARAMETERS);

/**
 * Parses an AuditEvent search (R4 §3.1.1 syntax; the parameters above, `_count` and the paging
 * `_cursor`). A malformed value or a modifier is a 400 naming the parameter; an unknown parameter
 * too, unless the request prefers lenient handling: an auditor who mistypes `patient` must not
 * get every patient's events back as if they were one's.
 */
export function parseAuditSearch(query: URLSearchParams, o: AuditSearchOptions): AuditSearch {
  const clauses: AuditClause[] = [];
  const canonical = new URLSearchParams();
  for (const [name, value] of query) {
    if (name === '_count' || name === '_cursor' || PASSED.has(name)) continue;
    const [code = '', modifier] = name.split(':');
    const parse = PARAMETERS[code];
    if (parse === undefined) {
      if (o.strict) throw new FhirkeepError('invalid-parameter', `AuditEvent has no search parameter ${name} here (${AUDIT_SEARCH_CODES.join(', ')}, _count)`);
      continue;
    }
    if (modifier !== undefined) throw new FhirkeepError('invalid-parameter', `${name}: AuditEvent search parameters take no modifier`);
    if (value === '') throw new FhirkeepError('invalid-parameter', `Search parameter ${name} has no value`);
    const values = splitOr(value);
    if (values.length > o.limits.maxOrValues) throw new FhirkeepError('invalid-parameter', `${name} has more than ${o.limits.maxOrValues} values`);
    clauses.push(parse(values, name, o));
    canonical.append(name, value);
  }
  if (clauses.length > o.limits.maxClauses) throw new FhirkeepError('invalid-parameter', `A search may combine at most ${o.limits.maxClauses} parameters`);
  const count = o.count(query.get('_count'));
  if (query.has('_count')) canonical.set('_count', String(count));
  return { clauses, count, before: cursorOf(query.get('_cursor')), canonical };
}

function cursorOf(text: string | null): string | undefined {
  if (text === null) return undefined;
  const cursor = decodeCursor(text);
  if (cursor.kind !== 'after') throw new FhirkeepError('invalid-parameter', '_cursor is not a paging position of an AuditEvent search');
  return cursor.rid;
}

function nonEmpty(value: string, name: string): string {
  if (value === '') throw new FhirkeepError('invalid-parameter', `${name} has an empty value`);
  return value;
}

/** Who a reference to this server names, relative: `Type/id` (an absolute URL of this base is read as one). */
function local(raw: string, fhirBase: string): string {
  const value = unescape(raw);
  return value.startsWith(`${fhirBase}/`) ? value.slice(fhirBase.length + 1) : value;
}

/** `Patient/id`, a bare `id`, or this server's absolute URL of a Patient. */
function patientId(raw: string, name: string, fhirBase: string): string {
  const value = local(raw, fhirBase);
  const id = value.startsWith('Patient/') ? value.slice('Patient/'.length) : value;
  if (!isFhirId(id)) throw new FhirkeepError('invalid-parameter', `${name}: "${value}" is not a Patient (Patient/id or id)`);
  return id;
}

/** `Type/id` of what an event touched. */
function entityRef(raw: string, name: string, fhirBase: string): string {
  const value = local(raw, fhirBase);
  const slash = value.indexOf('/');
  if (slash < 0 || !/^[A-Z][A-Za-z]{1,63}$/.test(value.slice(0, slash)) || !isFhirId(value.slice(slash + 1))) {
    throw new FhirkeepError('invalid-parameter', `${name}: "${value}" is not a reference (Type/id)`);
  }
  return value;
}

/**
 * A token's codes (R4 §3.1.1.4.8): `code`, `system|code`, `|code` (a code without a system). The
 * system of each code here follows from the code (src/audit/audit-event-codes.ts), so a value whose
 * system is not its code's matches nothing and is left out.
 */
function codesOf(values: readonly string[], name: string, systemOf: (code: string) => string | undefined): string[] {
  return values.flatMap((raw) => {
    const token = parseToken(raw, name);
    if (token.code === undefined) throw new FhirkeepError('invalid-parameter', `${name}: give a code ("${raw}" names only a system)`);
    if (token.system === undefined) return [token.code];
    return (token.system === '' ? undefined : token.system) === systemOf(token.code) ? [token.code] : [];
  });
}

function oneOf<T extends string>(code: string, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly string[]).includes(code)) throw new FhirkeepError('invalid-parameter', `${name} is one of ${allowed.join(', ')}, not "${code}"`);
  return code as T;
}
