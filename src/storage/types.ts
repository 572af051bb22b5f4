import type { AccessScope } from '../access/scope.js';
import type { AuditRow } from '../audit/audit-row.js';
import type { Clause, SearchQuery } from '../search/query/search-query.js';

/** A FHIR resource as parsed JSON; the validators guarantee its shape before storage sees it. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** One version of a resource as stored: `json` is the exact text a read returns (no re-serialising). */
export interface StoredVersion {
  readonly type: string;
  readonly id: string;
  readonly versionId: number;
  readonly lastUpdated: Date;
  /** True for the version a delete wrote; `json` is then null. */
  readonly deleted: boolean;
  readonly json: string | null;
  /**
   * The Patient whose compartment the resource is in (access metadata `patient_id`), where the
   * store read or wrote it: the audit trail names whose data a request touched (docs/audit.md).
   */
  readonly patientId?: string | null;
}

export interface HistoryEntry extends StoredVersion {
  /** The interaction that made this version (R4 Bundle.entry.request.method). */
  readonly method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
}

export interface HistoryQuery {
  /** Absent: system level. */
  readonly type?: string;
  /** Absent: type level. Requires `type`. */
  readonly id?: string;
  /** Only versions with lastUpdated strictly after this instant (R4 `_since`). */
  readonly since?: Date;
  /** Only versions with lastUpdated at or before this instant (R4 `_at` upper bound / paging snapshot). */
  readonly before?: Date;
  readonly count: number;
  /** Opaque cursor from a previous page's `next`. */
  readonly cursor?: string;
}

export interface HistoryPage {
  /** Newest first (R4 §3.1.0.10: history is sorted with oldest versions last). */
  readonly entries: readonly HistoryEntry[];
  /**
   * Total matching versions (Bundle.total, optional for history in R4): always for one
   * resource; for a type or the system only when the whole answer fits on the first page,
   * because counting a large history on every page request would cost more than the page.
   */
  readonly total?: number;
  /** Cursor of the following page, if there is one. */
  readonly next?: string;
}

/** One page of a search's results. */
export interface SearchPage {
  /** The matches, in the search's order (Bundle.entry.search.mode = match). */
  readonly matches: readonly StoredVersion[];
  /** Resources `_include`/`_revinclude` added (mode = include). */
  readonly included: readonly StoredVersion[];
  readonly total?: number;
  /** Cursors of the neighbouring pages, when there are any. */
  readonly next?: string;
  readonly prev?: string;
}

/** What an export reads of one type (src/storage/export-reader.ts). */
export interface ExportSlice {
  readonly type: string;
  /** The snapshot: resources as they were at this instant. */
  readonly transactionTime: Date;
  /** Only versions last updated after this instant (`_since`). */
  readonly since?: Date | undefined;
  /** `_typeFilter`s: a row matching all clauses of any one of them; none: every row. */
  readonly filters: readonly (readonly Clause[])[];
  /** Only these patients' compartments (a Group's members, `patient`). */
  readonly patients?: readonly string[] | undefined;
  /** Only rows in some patient's compartment (Patient/$export). */
  readonly compartmentOnly: boolean;
  /** Resume after this id (ids ascend). */
  readonly afterId?: string | undefined;
}

/** One cursor fetch: the resources to write, and the last id the fetch looked at (the resume point). */
export interface ExportBatch {
  /** Each resource's JSON as UTF-8, without the newline (stored JSON has no raw newlines). */
  readonly lines: readonly Buffer[];
  readonly lastId: string;
}

export interface CreateOptions {
  /** A server-chosen id assigned ahead of the write (transactions resolve `urn:uuid:` references to it). */
  readonly id?: string;
}

export interface WriteOptions {
  /** Expected current version (If-Match); mismatch → precondition-failed. */
  readonly ifMatch?: number;
  /** The interaction recorded in history for an update (default PUT). */
  readonly method?: 'PUT' | 'PATCH';
}

export interface UpdateResult {
  readonly version: StoredVersion;
  /** True when the update created the resource (update-as-create). */
  readonly created: boolean;
}

export type ConditionalCreateResult =
  | { readonly created: true; readonly version: StoredVersion }
  | { readonly created: false; readonly existing: StoredVersion };

/**
 * The only way to read or write clinical data. Every method takes the request's AccessScope;
 * reads compile it into SQL, writes check it before running. A resource outside the scope is
 * indistinguishable from a missing one.
 */
export interface ResourceStore {
  /** Current version (deleted ones too, so callers can answer 410), or undefined. */
  read(scope: AccessScope, type: string, id: string): Promise<StoredVersion | undefined>;
  vread(scope: AccessScope, type: string, id: string, versionId: number): Promise<StoredVersion | undefined>;
  /** Assigns a new id, versionId 1 and lastUpdated; the resource's own id/meta values are replaced. */
  create(scope: AccessScope, resource: FhirResource, options?: CreateOptions): Promise<StoredVersion>;
  /** Creates many resources at the ids given (fresh server-chosen ids) in one round trip, in order. */
  createMany(scope: AccessScope, items: readonly { readonly resource: FhirResource; readonly id: string }[]): Promise<StoredVersion[]>;
  /**
   * Conditional create (R4 §3.1.0.8 If-None-Exist) under a lock on the criteria, so two
   * concurrent requests cannot both create. Two or more matches → multiple-matches error.
   */
  createIfNoneExist(scope: AccessScope, resource: FhirResource, criteria: SearchQuery, options?: CreateOptions): Promise<ConditionalCreateResult>;
  /** Update or update-as-create at a client-chosen id. */
  update(scope: AccessScope, type: string, id: string, resource: FhirResource, options?: WriteOptions): Promise<UpdateResult>;
  /** Writes a delete version; undefined when there was nothing (or nothing current) to delete. */
  delete(scope: AccessScope, type: string, id: string, options?: WriteOptions): Promise<StoredVersion | undefined>;
  history(scope: AccessScope, query: HistoryQuery): Promise<HistoryPage>;
  /** A search (R4 §3.1.1) inside the scope: one page of matches and what it includes. */
  search(scope: AccessScope, query: SearchQuery): Promise<SearchPage>;
  /** Ids of the resources a search matches (at most its `count`): conditional interactions. */
  match(scope: AccessScope, criteria: SearchQuery): Promise<string[]>;
  /** The rows of one type a bulk export writes, batch by batch through one cursor (docs/bulk-export.md). */
  exportSlice(scope: AccessScope, slice: ExportSlice): AsyncIterable<ExportBatch>;
  /**
   * Runs `work` with a store bound to one database transaction: everything it writes commits
   * together or not at all (FHIR transaction bundles). Nested calls join the open transaction.
   */
  transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T>;
  /** Inserts audit rows in this store's transaction (src/audit/audited-store.ts), or on their own. */
  recordAudit(rows: readonly AuditRow[]): Promise<void>;
}
