import type { Principal } from './principal.js';

/**
 * What a request may read, as data: storage compiles it into the SQL of every query
 * (src/storage/scope-sql.ts), so no query can forget it. The access-engine issue adds
 * rules (filters, consents, compartments) as further variants.
 */
export type ReadRule = { readonly kind: 'all' } | { readonly kind: 'none' };

/** What a request may write; checked by storage before any statement runs. */
export type WriteRule = { readonly kind: 'all' } | { readonly kind: 'none' };

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
