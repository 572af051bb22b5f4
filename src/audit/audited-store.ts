import type { AccessScope } from '../access/scope.js';
import type { SearchQuery } from '../search/query/search-query.js';
import type {
  ConditionalCreateResult,
  CreateOptions,
  ExportBatch,
  ExportSlice,
  FhirResource,
  HistoryPage,
  HistoryQuery,
  ResourceStore,
  SearchPage,
  StoredVersion,
  UpdateResult,
  WriteOptions,
} from '../storage/types.js';
import type { AuditRow } from './audit-row.js';
import type { RequestAudit } from './request-audit.js';

/**
 * The store one audited request uses: reads tell the audit whose data they returned; each write
 * runs in a transaction with its audit row (docs/audit.md), so the two commit or roll back
 * together. Requests nested in a Bundle audit on their own: they wrap the plain store below.
 */
export function auditedStore(store: ResourceStore, audit: RequestAudit): ResourceStore {
  return new AuditedStore(store instanceof AuditedStore ? store.inner : store, audit);
}

class AuditedStore implements ResourceStore {
  constructor(
    readonly inner: ResourceStore,
    private readonly audit: RequestAudit,
  ) {}

  async read(scope: AccessScope, type: string, id: string): Promise<StoredVersion | undefined> {
    const v = await this.inner.read(scope, type, id);
    this.audit.returned([v]);
    return v;
  }

  async vread(scope: AccessScope, type: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const v = await this.inner.vread(scope, type, id, versionId);
    this.audit.returned([v]);
    return v;
  }

  async history(scope: AccessScope, query: HistoryQuery): Promise<HistoryPage> {
    const page = await this.inner.history(scope, query);
    this.audit.returned(page.entries);
    return page;
  }

  async search(scope: AccessScope, query: SearchQuery): Promise<SearchPage> {
    const page = await this.inner.search(scope, query);
    this.audit.returned(page.matches);
    this.audit.returned(page.included);
    return page;
  }

  /** Conditional interactions' lookups: ids only, nothing of a patient's is returned. */
  match(scope: AccessScope, criteria: SearchQuery): Promise<string[]> {
    return this.inner.match(scope, criteria);
  }

  exportSlice(scope: AccessScope, slice: ExportSlice): AsyncIterable<ExportBatch> {
    return this.inner.exportSlice(scope, slice);
  }

  create(scope: AccessScope, resource: FhirResource, options?: CreateOptions): Promise<StoredVersion> {
    return this.withRow(async (store) => {
      const v = await store.create(scope, resource, options);
      return { result: v, rows: [this.audit.writeRow(v)] };
    });
  }

  createMany(scope: AccessScope, items: readonly { readonly resource: FhirResource; readonly id: string }[]): Promise<StoredVersion[]> {
    return this.withRow(async (store) => {
      const versions = await store.createMany(scope, items);
      return { result: versions, rows: this.audit.createRows(versions) };
    });
  }

  createIfNoneExist(scope: AccessScope, resource: FhirResource, criteria: SearchQuery, options?: CreateOptions): Promise<ConditionalCreateResult> {
    return this.withRow(async (store) => {
      const result = await store.createIfNoneExist(scope, resource, criteria, options);
      return { result, rows: [this.audit.writeRow(result.created ? result.version : result.existing)] };
    });
  }

  update(scope: AccessScope, type: string, id: string, resource: FhirResource, options?: WriteOptions): Promise<UpdateResult> {
    return this.withRow(async (store) => {
      const result = await store.update(scope, type, id, resource, options);
      return { result, rows: [this.audit.writeRow(result.version, result.created)] };
    });
  }

  delete(scope: AccessScope, type: string, id: string, options?: WriteOptions): Promise<StoredVersion | undefined> {
    return this.withRow(async (store) => {
      const v = await store.delete(scope, type, id, options);
      return { result: v, rows: [this.audit.writeRow(v)] };
    });
  }

  transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    return this.inner.transaction((store) => work(new AuditedStore(store, this.audit)));
  }

  recordAudit(rows: readonly AuditRow[]): Promise<void> {
    return this.inner.recordAudit(rows);
  }

  private withRow<T>(write: (store: ResourceStore) => Promise<{ readonly result: T; readonly rows: readonly AuditRow[] }>): Promise<T> {
    return this.inner.transaction(async (store) => {
      const { result, rows } = await write(store);
      await store.recordAudit(rows);
      return result;
    });
  }
}
