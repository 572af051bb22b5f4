import type { SmartPermission } from '../auth/smart/scopes.js';
import type { Clause } from '../search/query/search-query.js';
import type { Principal } from './principal.js';

/**
 * What a request may read, as data: storage compiles it into the SQL of every query
 * (src/storage/scope-sql.ts), so no query can forget it. The access-engine issue adds
 * rules (filters, consents) as further variants.
 */
export type ReadRule = { readonly kind: 'all' } | { readonly kind: 'none' } | SmartRule;

/**
 * What a request may write; checked by storage before any statement runs (and, for rules that
 * limit rows, against the rows a write changes and leaves, inside its transaction).
 */
export type WriteRule = { readonly kind: 'all' } | { readonly kind: 'none' } | SmartRule;

/**
 * A token's SMART scopes as the resource server applies them (src/access/smart-access.ts
 * compiles them): per resource type, what each scope naming it allows. One rule serves reads
 * (r, s) and writes (c, u, d).
 */
export interface SmartRule {
  readonly kind: 'smart';
  /** Each type some scope names (every type for `*`); a type absent has no scope at all (403). */
  readonly types: ReadonlyMap<string, readonly SmartGrant[]>;
  /** The launch context patient, whose compartment `patient/` scopes reach; none: they reach no one's. */
  readonly patient: string | undefined;
  /** The types of the R4 Patient compartment; other types are not any patient's record. */
  readonly compartmentTypes: ReadonlySet<string>;
  /** Every resource type, so a condition that holds for all of them can be left out of SQL. */
  readonly resourceTypes: ReadonlySet<string>;
}

/** What one SMART scope allows on one resource type. */
export interface SmartGrant {
  readonly permissions: ReadonlySet<SmartPermission>;
  /** A `patient/` scope: only rows of the context patient's compartment. */
  readonly patientOnly: boolean;
  /** A granular scope: rows matching all of these search clauses (plain parameters: no chains, no `_has`). */
  readonly filter: readonly Clause[] | undefined;
}

export interface AccessScope {
  readonly principal: Principal;
  readonly read: ReadRule;
  readonly write: WriteRule;
  /** The account whose record a write creates (access metadata `owner`), if any. */
  readonly ownerAccount: string | null;
  /** The application a write comes from (access metadata `source app`), if any. */
  readonly sourceApp: string | null;
}

/**
 * An internal job's explicit scope: everything, on purpose. Callers name their reason so
 * audit records show why the access engine was bypassed.
 */
export function systemScope(reason: string): AccessScope {
  return {
    principal: { kind: 'system', reason },
    read: { kind: 'all' },
    write: { kind: 'all' },
    ownerAccount: null,
    sourceApp: null,
  };
}

/** The scope of an unauthenticated request when FHIRKEEP_DEV_NO_AUTH=1 (development only). */
export function devOpenScope(): AccessScope {
  return {
    principal: { kind: 'dev-anonymous' },
    read: { kind: 'all' },
    write: { kind: 'all' },
    ownerAccount: null,
    sourceApp: null,
  };
}

/** The scope of an unauthenticated request to a public endpoint (e.g. `metadata`): no data at all. */
export function anonymousScope(): AccessScope {
  return {
    principal: { kind: 'anonymous' },
    read: { kind: 'none' },
    write: { kind: 'none' },
    ownerAccount: null,
    sourceApp: null,
  };
}
