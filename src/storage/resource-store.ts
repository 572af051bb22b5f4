import { randomUUID } from 'node:crypto';
import type { Row, Sql, TransactionSql } from 'postgres';
import type { AccessScope } from '../access/scope.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { checkLabels, labelsOf, stampLabels } from '../access/label-rules.js';
import type { Database } from './database.js';
import type { SearchRouting } from './replica/search-routing.js';
import { readHistory } from './history-query.js';
import { pendingResourceJson, PENDING_META_FIELDS, resourceJson, settledResourceJson } from './resource-json.js';
import type { Indexer } from '../search/index/indexer.js';
import { deleteIndexRowsText, indexRowParams, insertIndexRowsOfManyText, insertIndexRowsText, mergeIndexRows } from './index-writes.js';
import { rowValues, type RowValues } from './row-values.js';
import type { Classifier } from '../access/content/classify.js';
import { registerDynamicContents } from './content/taxonomy-writes.js';
import { runSearch } from './search-runner.js';
import { readExportSlice } from './export-reader.js';
import { toVersion, type VersionRow } from './version-row.js';
import type { AuditRow } from '../audit/audit-row.js';
import { insertAuditEvents } from './audit/audit-event-store.js';
import type { SearchQuery } from '../search/query/search-query.js';
import { assertCanWrite, checkWriteRows, readPredicate, writesCheckRows, type WriteRowsCheck } from './scope-sql.js';
import type {
  ConditionalCreateResult,
  CreateOptions,
  ExportBatch,
  ExportSlice,
  FhirResource,
  HistoryEntry,
  HistoryPage,
  HistoryQuery,
  ResourceStore,
  SearchPage,
  StoredVersion,
  UpdateResult,
  WriteOptions,
} from './types.js';

type Tx = Sql | TransactionSql;

/** How often an update-as-create retries when another writer creates the resource first. */
const MAX_RACE_RETRIES = 20;

/** `classify` gives each written record its content type and codes (src/access/content/classify.ts). */
export function createResourceStore(db: Database, index: Indexer, classify: Classifier): ResourceStore {
  return new PgResourceStore(db.sql, db.searchSql, db.searches, { index, classify });
}

/** What a write derives from a resource: its search index rows, its content type and codes. */
interface Derive {
  readonly index: Indexer;
  readonly classify: Classifier;
}

/**
 * The ResourceStore on PostgreSQL: one statement per write. Updates and deletes lock the current
 * row inside their statement, so concurrent writers queue per resource and never lose a version.
 */
class PgResourceStore implements ResourceStore {
  /**
   * `tx` is set when this store is bound to one open transaction (see `transaction`), and
   * `writers` then gathers the scopes that wrote in it, told to `searches` once it commits.
   */
  constructor(
    private readonly sql: Sql,
    private readonly searchSql: Sql,
    private readonly searches: SearchRouting,
    /** Named for what it was before it also classified: keeps the write paths' diffs small. */
    private readonly index: Derive,
    private readonly tx?: TransactionSql,
    private readonly writers?: Set<AccessScope>,
  ) {}

  async transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (this.tx !== undefined) return work(this);
    const writers = new Set<AccessScope>();
    const result = (await this.sql.begin((tx) => work(new PgResourceStore(this.sql, this.searchSql, this.searches, this.index, tx, writers)))) as T;
    for (const scope of writers) this.searches.committed(scope);
    return result;
  }

  /** A write's result, once it has committed (or, in a transaction, once that does): its caller's searches see it (read-your-writes). */
  private async wrote<T>(scope: AccessScope, write: Promise<T>): Promise<T> {
    const result = await write;
    if (this.writers !== undefined) this.writers.add(scope);
    else this.searches.committed(scope);
    return result;
  }

  /** Where statements go: the open transaction, else the pool. */
  private get db(): Tx {
    return this.tx ?? this.sql;
  }

  /**
   * Runs a write. Under a scope that limits rows (SMART), the write and its row checks share
   * one transaction, so a refused write leaves nothing behind; otherwise it runs as it is.
   * Either way, once it commits its caller's searches see it (read-your-writes).
   */
  private checked<T>(scope: AccessScope, work: (db: Tx) => Promise<T>): Promise<T> {
    return this.wrote(scope, writesCheckRows(scope) ? this.transaction((store) => work((store as PgResourceStore).db)) : work(this.db));
  }

  async read(scope: AccessScope, type: string, id: string): Promise<StoredVersion | undefined> {
    const sql = this.db;
    const pred = readPredicate(sql, scope, 'r', { interaction: 'read', types: [type] });
    // The unrestricted read is the hottest query: kept free of fragments so postgres.js reuses it as is.
    const [row] =
      pred === undefined
        ? await sql<VersionRow[]>`
            select type, id, version_id, last_updated, deleted, content, patient_id from resources
            where tenant = 0 and type = ${type} and id = ${id}`
        : await sql<VersionRow[]>`
            select type, id, version_id, last_updated, deleted, content, patient_id from resources r
            where tenant = 0 and type = ${type} and id = ${id} and ${pred}`;
    return row === undefined ? undefined : toVersion(row);
  }

  async vread(scope: AccessScope, type: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const sql = this.db;
    const pred = readPredicate(sql, scope, 'r', { interaction: 'read', types: [type] });
    const [row] = await sql<VersionRow[]>`
      select h.type, h.id, h.version_id, h.last_updated, h.method = 'DELETE' as deleted, h.content,
        (select p.patient_id from resources p where p.rid = h.rid) as patient_id
      from resource_history h ${pred === undefined ? sql`` : sql`join resources r on r.rid = h.rid and ${pred}`}
      where h.tenant = 0 and h.type = ${type} and h.id = ${id} and h.version_id = ${versionId}`;
    return row === undefined ? undefined : toVersion(row);
  }

  async create(scope: AccessScope, given: FhirResource, options: CreateOptions = {}): Promise<StoredVersion> {
    assertCanWrite(scope, given.resourceType, 'c');
    const resource = labelledForCreate(scope, given);
    return this.checked(scope, async (db) => {
      const v = created(await insertNew(db, this.index, scope, resource, options.id ?? randomUUID(), 1, 'POST'));
      await refuseOutside(db, scope, 'c', v.type, [v.id]);
      return v;
    });
  }

  async createMany(scope: AccessScope, given: readonly { readonly resource: FhirResource; readonly id: string }[]): Promise<StoredVersion[]> {
    const types = new Set(given.map((i) => i.resource.resourceType));
    for (const type of types) assertCanWrite(scope, type, 'c');
    if (given.length === 0) return [];
    const items = given.map((i) => ({ ...i, resource: labelledForCreate(scope, i.resource) }));
    return this.checked(scope, async (db) => {
      const versions = await insertMany(db, this.index, scope, items);
      for (const type of types) await refuseOutside(db, scope, 'c', type, versions.filter((v) => v.type === type).map((v) => v.id));
      return versions;
    });
  }

  async createIfNoneExist(
    scope: AccessScope,
    resource: FhirResource,
    criteria: SearchQuery,
    options: CreateOptions = {},
  ): Promise<ConditionalCreateResult> {
    assertCanWrite(scope, resource.resourceType, 'c');
    const labelled = labelledForCreate(scope, resource);
    return this.wrote(
      scope,
      this.transaction(async (store) => {
        const tx = (store as PgResourceStore).db;
        // Serialises conditional creates with the same criteria, so two cannot both see "none" (R4 §3.1.0.8).
        await tx`select pg_advisory_xact_lock(hashtextextended(${criteriaKey(criteria)}, 0))`;
        const { matches } = await runSearch(tx as Sql, scope, criteria);
        if (matches.length > 1) throw new FhirkeepError('multiple-matches', `More than one ${criteria.types.join(', ')} matches the criteria`);
        const [existing] = matches;
        if (existing !== undefined) return { created: false, existing };
        const version = created(await insertNew(tx, this.index, scope, labelled, options.id ?? randomUUID(), 1, 'POST'));
        await refuseOutside(tx, scope, 'c', version.type, [version.id]);
        return { created: true, version };
      }),
    );
  }

  async update(scope: AccessScope, type: string, id: string, resource: FhirResource, options: WriteOptions = {}): Promise<UpdateResult> {
    assertCanWrite(scope, type, 'u');
    return this.checked(scope, async (db) => {
      // The resource as it is must be the token's to update too (locked until the write commits).
      const before = await refuseOutside(db, scope, 'u', type, [id]);
      if (scope.write.kind === 'consented') checkLabels(scope.write, before.labels.get(id), labelsOf(resource.meta?.security));
      const result = await updateOrCreate(db, this.index, scope, type, id, resource, options);
      // An update that creates (or revives a deleted resource) is a create as well.
      if (result.created) assertCanWrite(scope, type, 'c');
      await refuseOutside(db, scope, result.created ? 'c' : 'u', type, [id]);
      return result;
    });
  }

  async delete(scope: AccessScope, type: string, id: string, options: WriteOptions = {}): Promise<StoredVersion | undefined> {
    assertCanWrite(scope, type, 'd');
    return this.checked(scope, async (db) => {
      // Outside the token's reach a resource is as good as absent: nothing deleted, nothing revealed.
      const before = await checkWriteRows(db, scope, 'd', type, [id]);
      const hidden = before.outside;
      if (!hidden && scope.write.kind === 'consented') checkLabels(scope.write, before.labels.get(id), undefined);
      const result: DeletionResult = hidden ? { kind: 'unchanged', current: undefined } : await writeDeletion(db, type, id, options.ifMatch);
      if (result.kind === 'written') return result.version;
      if (options.ifMatch !== undefined && options.ifMatch !== result.current) throw preconditionFailed(type, id, options.ifMatch, result.current);
      return undefined;
    });
  }

  history(scope: AccessScope, query: HistoryQuery): Promise<HistoryPage> {
    return readHistory(this.db, scope, query);
  }

  /** On the read replica when docs/replicas.md's rule allows; in a transaction, in it. */
  search(scope: AccessScope, query: SearchQuery): Promise<SearchPage> {
    if (this.tx !== undefined) return runSearch(this.db as Sql, scope, query);
    return this.searches.run(scope, (sql) => runSearch(sql, scope, query));
  }

  /** Always on the primary: a conditional write must match what is there now. */
  async match(scope: AccessScope, criteria: SearchQuery): Promise<string[]> {
    return (await runSearch((this.tx ?? this.searchSql) as Sql, scope, criteria)).matches.map((m) => m.id);
  }

  exportSlice(scope: AccessScope, slice: ExportSlice): AsyncIterable<ExportBatch> {
    return readExportSlice(this.searchSql, scope, slice);
  }

  recordAudit(rows: readonly AuditRow[]): Promise<void> {
    return insertAuditEvents(this.db, rows);
  }
}

/** An update, or an update-as-create when there is nothing to update, retried while creators race. */
async function updateOrCreate(
  db: Tx,
  index: Derive,
  scope: AccessScope,
  type: string,
  id: string,
  resource: FhirResource,
  options: WriteOptions,
): Promise<UpdateResult> {
  const method = options.method ?? 'PUT';
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const result = await updateInPlace(db, index, type, id, resource, method, options.ifMatch);
    if (result.kind === 'written') return { version: result.version, created: result.created };
    if (result.kind === 'stale') throw preconditionFailed(type, id, options.ifMatch ?? 0, result.current);
    if (options.ifMatch !== undefined) throw preconditionFailed(type, id, options.ifMatch, undefined);
    // An update that creates is a create: the application's `add-tag` labels are stamped on it too.
    const created = scope.write.kind === 'consented' ? stampLabels(scope.write, resource) : resource;
    const made = await insertNew(db, index, scope, { ...created, id }, id, 1, method, true);
    if (made !== undefined) return { version: made, created: true };
    // Someone created it between the two statements: update theirs.
  }
  throw new FhirkeepError('version-conflict', `${type}/${id} is being changed by many writers at once; try again`);
}

/** A write that would touch or leave a row outside the token's scopes is refused (403), and rolled back. */
async function refuseOutside(db: Tx, scope: AccessScope, permission: 'c' | 'u', type: string, ids: readonly string[]): Promise<WriteRowsCheck> {
  const check = await checkWriteRows(db, scope, permission, type, ids);
  if (check.outside) {
    const what = ids.length === 1 ? `${type}/${ids[0] as string}` : `A ${type}`;
    const bounds = scope.write.kind === 'consented' ? "this token's scopes, its application's access filter and consents" : 'the patient compartment or the granular scopes this token';
    throw new FhirkeepError('forbidden', `${what} lies outside what ${bounds} allow to ${permission === 'c' ? 'create' : 'update'}`);
  }
  return check;
}

/** An application's create: its filter's `add-tag` labels stamped, every label checked (docs/access.md). */
function labelledForCreate(scope: AccessScope, resource: FhirResource): FhirResource {
  if (scope.write.kind !== 'consented') return resource;
  const labelled = stampLabels(scope.write, resource);
  checkLabels(scope.write, undefined, labelsOf(labelled.meta?.security));
  return labelled;
}

/** A plain insert of a fresh UUID cannot conflict; if it ever did, that is a server fault, not a client's. */
function created(v: StoredVersion | undefined): StoredVersion {
  if (v === undefined) throw new Error('Inserting a new resource under a fresh id found it already present');
  return v;
}

/**
 * Inserts version `versionId` of a new resource, its history row and its index rows in one
 * statement (atomic without an explicit transaction). With `ifAbsent`, a concurrent insert of
 * the same id makes it return undefined instead of failing.
 */
async function insertNew(
  sql: Tx,
  derive: Derive,
  scope: AccessScope,
  resource: FhirResource,
  id: string,
  versionId: number,
  method: HistoryEntry['method'],
  ifAbsent = false,
): Promise<(StoredVersion & { json: string }) | undefined> {
  const now = new Date();
  const type = resource.resourceType;
  const json = resourceJson(resource, id, String(versionId), now.toISOString());
  const v = rowValues({ ...resource, id }, derive.classify);
  const ix = derive.index({ ...resource, id });
  await registerContents(sql, [v]);
  const params = [type, id, versionId, now, json, v.patientId, scope.ownerAccount, scope.sourceApp, v.content.codes, v.security, method, v.content.contentType, ...indexRowParams(ix)];
  const rows = await run(sql, ifAbsent ? INSERT_IF_ABSENT : INSERT, params);
  if (rows.length === 0) return undefined;
  return { type, id, versionId, lastUpdated: now, deleted: false, json, patientId: v.patientId };
}

/**
 * Inserts many new resources (version 1 each) with their history and index rows in ONE
 * statement: a transaction bundle's creates cost one round trip, not one per entry.
 */
async function insertMany(
  sql: Tx,
  derive: Derive,
  scope: AccessScope,
  items: readonly { readonly resource: FhirResource; readonly id: string }[],
): Promise<StoredVersion[]> {
  const now = new Date();
  const rows = items.map(({ resource, id }) => ({ type: resource.resourceType, id, json: resourceJson(resource, id, '1', now.toISOString()), v: rowValues({ ...resource, id }, derive.classify) }));
  const indexRows = mergeIndexRows(items.map(({ resource, id }) => ({ tag: { id }, rows: derive.index({ ...resource, id }) })));
  await registerContents(sql, rows.map((r) => r.v));
  // One JSON parameter for all rows, each resource's JSON spliced in as a value rather than as a
  // string: nothing is escaped in Node or unescaped in PostgreSQL, and `json` keeps the text
  // exactly as written, so `content::text` is the very text reads will return.
  const input = `[${rows
    .map((r, ord) => `{"ord":${ord},"type":${JSON.stringify(r.type)},"id":${JSON.stringify(r.id)},"patient_id":${JSON.stringify(r.v.patientId)},"content_type":${JSON.stringify(r.v.content.contentType)},"codes":${JSON.stringify(r.v.content.codes)},"security":${JSON.stringify(r.v.security)},"content":${r.json}}`)
    .join(',')}]`;
  await run(sql, INSERT_MANY, [input, now, scope.ownerAccount, scope.sourceApp, ...indexRowParams(indexRows)]);
  return rows.map((r) => ({ type: r.type, id: r.id, versionId: 1, lastUpdated: now, deleted: false, json: r.json, patientId: r.v.patientId }));
}

type InPlaceResult =
  | { readonly kind: 'written'; readonly version: StoredVersion; readonly created: boolean }
  | { readonly kind: 'stale'; readonly current: number }
  | { readonly kind: 'absent' };

/**
 * An update in ONE statement: lock the current row, check If-Match, write the next version
 * (its number and time spliced into the JSON by the database), its history and index rows.
 * `absent` when there is no row yet (the caller then creates it). The time is never earlier
 * than the previous version's, even when this writer waited for the lock or another node's
 * clock runs ahead, so a resource's versions are in lastUpdated order (R4 §3.1.0.10).
 */
async function updateInPlace(
  sql: Tx,
  derive: Derive,
  type: string,
  id: string,
  resource: FhirResource,
  method: HistoryEntry['method'],
  ifMatch: number | undefined,
): Promise<InPlaceResult> {
  const json = pendingResourceJson(resource, id);
  const v = rowValues({ ...resource, id }, derive.classify);
  const ix = derive.index({ ...resource, id });
  await registerContents(sql, [v]);
  const params = [new Date(), type, id, json, PENDING_META_FIELDS, v.patientId, v.content.codes, v.security, ifMatch ?? null, method, v.content.contentType, ...indexRowParams(ix)];
  const [row] = (await run(sql, UPDATE, params)) as { current: number | null; written: number | null; last_updated: Date | null; was_deleted: boolean | null }[];
  if (row?.current === null || row?.current === undefined) return { kind: 'absent' };
  if (row.written === null || row.last_updated === null) return { kind: 'stale', current: row.current };
  return {
    kind: 'written',
    created: row.was_deleted === true,
    version: { type, id, versionId: row.written, lastUpdated: row.last_updated, deleted: false, json: settledResourceJson(json, row.written, row.last_updated), patientId: v.patientId },
  };
}

/** Auto-registered content types the records name, written first (in the write's transaction when it has one). */
async function registerContents(sql: Tx, values: readonly RowValues[]): Promise<void> {
  const made = values.flatMap((v) => (v.content.register === undefined ? [] : [v.content.register]));
  if (made.length > 0) await registerDynamicContents(sql, made);
}

type DeletionResult =
  | { readonly kind: 'written'; readonly version: StoredVersion }
  /** Nothing written: absent (`current` undefined), already deleted, or not the If-Match version. */
  | { readonly kind: 'unchanged'; readonly current: number | undefined };

/**
 * A delete in ONE statement, like an update: lock the current row, check If-Match, write the
 * delete version (content null), its history row, and drop its index rows.
 */
async function writeDeletion(sql: Tx, type: string, id: string, ifMatch: number | undefined): Promise<DeletionResult> {
  const [row] = (await run(sql, DELETE, [new Date(), type, id, ifMatch ?? null])) as { current: number | null; written: number | null; last_updated: Date | null; patient_id: string | null }[];
  if (row?.written === null || row?.written === undefined || row.last_updated === null) return { kind: 'unchanged', current: row?.current ?? undefined };
  return { kind: 'written', version: { type, id, versionId: row.written, lastUpdated: row.last_updated, deleted: true, json: null, patientId: row.patient_id } };
}

/** The same criteria in any order lock the same key. */
function criteriaKey(criteria: SearchQuery): string {
  return JSON.stringify([criteria.types, [...criteria.selection].map((p) => p.join('=')).sort()]);
}

function preconditionFailed(type: string, id: string, expected: number, actual: number | undefined): FhirkeepError {
  const now = actual === undefined ? 'not at that version' : `at version ${actual}`;
  return new FhirkeepError('precondition-failed', `If-Match expected version ${expected} of ${type}/${id}, but it is ${now}`);
}

/** Runs one of the fixed write statements below, prepared once per connection. */
function run(sql: Tx, text: string, params: readonly unknown[]): Promise<Row[]> {
  return (sql as Sql).unsafe(text, params as never[], { prepare: true }) as unknown as Promise<Row[]>;
}

/**
 * A new resource (version `$3`), its history row and its index rows in one statement (atomic
 * without an explicit transaction); history reuses the inserted row, so the JSON is sent once.
 * $1 type, $2 id, $3 version, $4 time, $5 JSON, $6 patient, $7 owner, $8 source app, $9 codes,
 * $10 security labels, $11 method, $12 content type, $13… index rows.
 */
const insertText = (onConflict: string): string => `
  with r as (
    insert into resources (type, id, version_id, last_updated, content, patient_id, owner_account, source_app, codes, created_at, security, content_type)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $4, $10::text[], $12) ${onConflict}
    returning rid, type, id, version_id, last_updated, content
  ), h as (
    insert into resource_history (rid, type, id, version_id, last_updated, method, content)
    select rid, type, id, version_id, last_updated, $11, content from r
  ) ${insertIndexRowsText('r', 13)}
  select rid from r`;
const INSERT = insertText('');
/** With a concurrent insert of the same id, nothing is written and no row returned. */
const INSERT_IF_ABSENT = insertText('on conflict (tenant, type, id) do nothing');

/**
 * Many new resources (version 1), in input order. $1 the resources as a JSON recordset (see
 * insertMany), $2 time, $3 owner, $4 source app, $5… index rows (each with its resource's id).
 */
const INSERT_MANY = `
  with input as (
    select * from json_to_recordset($1::text::json)
      as x(ord int, type text, id text, patient_id text, content_type text, codes text[], security text[], content json)
  ), r as (
    insert into resources (type, id, version_id, last_updated, content, patient_id, owner_account, source_app, codes, created_at, security, content_type)
    select type, id, 1, $2, content::text, patient_id, $3, $4, codes, $2, security, content_type
    from input order by ord
    returning rid, type, id, version_id, last_updated, content
  ), h as (
    insert into resource_history (rid, type, id, version_id, last_updated, method, content)
    select rid, type, id, version_id, last_updated, 'POST', content from r
  ) ${insertIndexRowsOfManyText('r', 5)}
  select count(*)::int as n from r`;

/**
 * `cur`: the resource's current row ($2 type, $3 id), locked for this statement, with the time
 * of its next version: now ($1), but at least a millisecond after the current version (FHIR
 * instants carry milliseconds), so a resource's versions are in lastUpdated order.
 */
const LOCK_CURRENT = `
  with cur as (
    select rid, version_id, deleted,
      greatest($1::timestamptz, date_trunc('milliseconds', last_updated) + interval '1 millisecond') as next_time
    from resources where tenant = 0 and type = $2 and id = $3 for update
  )`;

/**
 * An update (see updateInPlace). $1 now, $2 type, $3 id, $4 JSON with the pending-meta marker
 * $5, $6 patient, $7 codes, $8 security labels, $9 If-Match version or null, $10 method,
 * $11 content type, $12… index rows.
 */
const UPDATE = `${LOCK_CURRENT}, u as (
    update resources r set version_id = cur.version_id + 1, last_updated = cur.next_time, deleted = false,
      content = replace($4::text, $5::text,
        '"versionId":"' || (cur.version_id + 1) || '","lastUpdated":"' || to_char(cur.next_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'),
      patient_id = $6, codes = $7::text[], security = $8::text[], content_type = $11
    from cur
    where r.rid = cur.rid and ($9::int is null or cur.version_id = $9::int)
    returning r.rid, r.type, r.id, r.version_id, r.last_updated, r.content, cur.deleted as was_deleted
  ), h as (
    insert into resource_history (rid, type, id, version_id, last_updated, method, content)
    select rid, type, id, version_id, last_updated, $10, content from u
  ) ${deleteIndexRowsText('u')} ${insertIndexRowsText('u', 12)}
  select (select version_id from cur) as current, u.version_id as written, u.last_updated, u.was_deleted
  from (select 1) as one left join u on true`;

/**
 * A delete (see writeDeletion). $1 now, $2 type, $3 id, $4 If-Match version or null. The row
 * keeps its patient_id: a deleted resource stays in its compartment, so a patient-scoped token
 * is told it is gone (410) and sees its history, and the distribution key never changes.
 */
const DELETE = `${LOCK_CURRENT}, u as (
    update resources r set version_id = cur.version_id + 1, last_updated = cur.next_time, deleted = true,
      content = null, codes = '{}', security = '{}'
    from cur
    where r.rid = cur.rid and not cur.deleted and ($4::int is null or cur.version_id = $4::int)
    returning r.rid, r.type, r.id, r.version_id, r.last_updated, r.patient_id
  ), h as (
    insert into resource_history (rid, type, id, version_id, last_updated, method, content)
    select rid, type, id, version_id, last_updated, 'DELETE', null from u
  ) ${deleteIndexRowsText('u')}
  select (select version_id from cur) as current, u.version_id as written, u.last_updated, u.patient_id
  from (select 1) as one left join u on true`;
