import type { SmartPermission } from '../auth/smart/scopes.js';
import type { Clause } from '../search/query/search-query.js';
import type { FilterBlock, WriteMode } from './filter/access-filter.js';
import type { Principal } from './principal.js';

/**
 * What a request may read, as data: storage compiles it into the SQL of every query
 * (src/storage/scope-sql.ts), so no query can forget it.
 */
export type ReadRule = { readonly kind: 'all' } | { readonly kind: 'none' } | SmartRule | ConsentRule;

/**
 * What a request may write; checked by storage before any statement runs (and, for rules that
 * limit rows, against the rows a write changes and leaves, inside its transaction).
 */
export type WriteRule = { readonly kind: 'all' } | { readonly kind: 'none' } | SmartRule | ConsentRule;

/**
 * The access engine's rule for an application's token (docs/access.md): its SMART scopes, and
 * the union of its access filter's blocks, each within the records the application's consents
 * reach. One rule serves reads and writes; the write mode says which writes it allows.
 */
export interface ConsentRule {
  readonly kind: 'consented';
  readonly smart: SmartRule;
  /** Never empty: an application without a filter has one block that bounds nothing but owner and public. */
  readonly blocks: readonly AccessBlock[];
  readonly reach: Reach;
  readonly writeMode: WriteMode;
  /**
   * Security labels (`system|code`) writes may add: those listed by the filter (`allow-tag`,
   * `add-tag`); without a filter, any but Fhirkeep's own, or any at all for an institution's own
   * system (reach `all`).
   */
  readonly settableLabels: ReadonlySet<string> | 'not-platform' | 'any';
  /** Security labels stamped on every record the application creates. */
  readonly stampedLabels: readonly string[];
}

/** A filter block as compiled for one application: `app: self` resolved, and the types it can match. */
export interface AccessBlock extends FilterBlock {
  /** The resource types the block can match (its formats, its contents' types); undefined: any. */
  readonly types: ReadonlySet<string> | undefined;
}

/**
 * Whose records the application's consents reach. Rows outside every patient compartment are
 * directory data (Practitioner, Organization, Medication …), reached by everyone.
 */
export type Reach =
  /** An institution's own system (client reach `all`): every record. */
  | { readonly kind: 'everyone' }
  /**
   * A user signed in to an application: while their consent to it is active for its current
   * filter version, their own records (their Patient's compartment) and, for `owner: all`, those
   * of account holders sharing with an organization they belong to.
   */
  | { readonly kind: 'account'; readonly accountId: string; readonly clientId: string; readonly filterVersion: number; readonly patient: string | undefined }
  /**
   * An account on Fhirkeep's own pages (the patient picker, the EHR launch), no application in
   * between: the same records as `account`, without an app consent to check.
   */
  | { readonly kind: 'holder'; readonly accountId: string; readonly patient: string | undefined }
  /** An external service: the account holders subscribed to it (active, current filter version). */
  | { readonly kind: 'subscribers'; readonly clientId: string; readonly filterVersion: number }
  /**
   * A data broker acting for one organization (the request's `grp`): the account holders sharing
   * with it, while its consent to the broker is active. A broker acting for none reaches nobody.
   */
  | { readonly kind: 'broker'; readonly clientId: string; readonly organizationId: string }
  /**
   * A research partner inside one study (the request's `researchstudy`): the subjects enrolled
   * in it (an on-study ResearchSubject whose Consent, if it names one, is active), while the
   * partner is authorized for the study (docs/research.md).
   */
  | { readonly kind: 'study'; readonly clientId: string; readonly studyId: string }
  | CatchmentReach
  | { readonly kind: 'nobody' };

/**
 * An HIE user (docs/hie.md): the compartments of their patient profiles' Patients, and of the
 * Patients whose address area code starts with one of their catchments (area codes are
 * hierarchical). Confidential encounters (and what was recorded in them) are hidden from
 * providers and facilities.
 */
export interface CatchmentReach {
  readonly kind: 'catchment';
  /** Patient ids: the user's own records. */
  readonly patients: readonly string[];
  /** Area code prefixes, none inside another (src/fhir/area-code.ts). */
  readonly areaPrefixes: readonly string[];
  /** Encounters labelled Restricted or Very restricted, and the records made in them, are hidden, but in `patients`' compartments. */
  readonly hideConfidential: boolean;
}

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
