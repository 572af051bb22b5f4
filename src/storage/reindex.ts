import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { Classifier } from '../access/content/classify.js';
import type { Indexer } from '../search/index/indexer.js';
import { registerDynamicContents, type DynamicContentRow } from './content/taxonomy-writes.js';
import type { Database } from './database.js';
import { mergeIndexRows, replaceIndexRows } from './index-writes.js';
import type { FhirResource } from './types.js';

/** Resources rebuilt per transaction: big enough to amortise round trips, small enough to hold locks briefly. */
const BATCH = 500;
/** "fhirkeep" + "idx": a constant advisory lock key, so one node rebuilds while others wait. */
const LOCK_KEY = '7379390236573407608';

export interface ReindexOptions {
  /** Only these types (a partial rebuild leaves the recorded indexer version as it was). */
  readonly types?: readonly string[];
  /** Do nothing when the rows are already this version's (another node rebuilt them meanwhile). */
  readonly ifStale?: boolean;
  /** Progress every so many resources. */
  readonly onProgress?: (done: number) => void;
  /**
   * Also recomputes each resource's content type and codes with this classifier, so records
   * written before a taxonomy change are classified as new ones would be.
   */
  readonly classify?: Classifier;
}

/**
 * Rebuilds search index rows from the stored resources, in rid order and resumable: each batch
 * locks its rows, recomputes them and records how far it got, so a write racing the rebuild
 * waits for its batch and an interrupted rebuild continues where it stopped.
 */
export async function reindex(db: Database, index: Indexer, version: number, options: ReindexOptions = {}): Promise<number> {
  const sql = db.sql;
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${LOCK_KEY}::bigint)`;
    const full = options.types === undefined;
    const [state] = await conn<{ version: number; done_rid: string | null; complete: boolean }[]>`select version, done_rid, complete from search_index_state`;
    if (options.ifStale === true && state?.version === version && state.complete) return 0;
    // A full rebuild for the same version that was interrupted resumes; anything else starts over.
    let after = full && state?.version === version && !state.complete && state.done_rid !== null ? state.done_rid : '0';
    if (full) await conn`update search_index_state set version = ${version}, done_rid = ${after}::bigint, complete = false`;
    let done = 0;
    for (;;) {
      // The reserved connection holds the session lock; each batch is its own transaction on it.
      await conn`begin`;
      const n = await (async (tx: typeof conn) => {
        const rows = await tx<{ rid: string; content: string }[]>`
          select rid, content from resources
          where rid > ${after}::bigint and not deleted ${full ? tx`` : tx`and type = any(${options.types as string[]}::text[])`}
          order by rid limit ${BATCH} for update`;
        if (rows.length === 0) return 0;
        const resources = rows.map((row) => ({ rid: row.rid, resource: JSON.parse(row.content) as FhirResource }));
        const merged = mergeIndexRows(resources.map(({ rid, resource }) => ({ tag: { rid }, rows: index(resource) })));
        await replaceIndexRows(tx as unknown as Sql, rows.map((r) => r.rid), merged);
        if (options.classify !== undefined) await reclassify(tx as unknown as Sql, resources, options.classify);
        after = (rows[rows.length - 1] as { rid: string }).rid;
        if (full) await tx`update search_index_state set done_rid = ${after}::bigint`;
        return rows.length;
      })(conn).catch(async (e: unknown) => {
        await conn`rollback`;
        throw e;
      });
      await conn`commit`;
      if (n === 0) break;
      done += n;
      options.onProgress?.(done);
    }
    if (full) await conn`update search_index_state set version = ${version}, done_rid = null, complete = true`;
    return done;
  } finally {
    await conn`select pg_advisory_unlock(${LOCK_KEY}::bigint)`.catch(() => {});
    conn.release();
  }
}

/**
 * Writes the content type and codes the classifier gives now, where they changed. A stored record
 * whose codes now name two content types (an admin mapped one of them since) keeps what it has:
 * it was accepted when written, and a rebuild refuses nothing.
 */
async function reclassify(sql: Sql, resources: readonly { rid: string; resource: FhirResource }[], classify: Classifier): Promise<void> {
  const rows: { rid: string; content_type: string; codes: string[] }[] = [];
  const register: DynamicContentRow[] = [];
  for (const { rid, resource } of resources) {
    let c: ReturnType<Classifier>;
    try {
      c = classify(resource);
    } catch {
      continue;
    }
    rows.push({ rid, content_type: c.contentType, codes: c.codes });
    if (c.register !== undefined) register.push(c.register);
  }
  await registerDynamicContents(sql, register);
  await sql`
    update resources r set content_type = x.content_type, codes = x.codes
    from json_to_recordset(${JSON.stringify(rows)}::text::json) as x(rid bigint, content_type text, codes text[])
    where r.rid = x.rid and (r.content_type is distinct from x.content_type or r.codes <> x.codes)`;
}

/** Rebuilds at start when the stored rows come from another indexer version (or an interrupted rebuild). */
export async function reindexIfStale(db: Database, index: Indexer, version: number, logger: Logger, classify?: Classifier): Promise<void> {
  const [state] = await db.sql<{ version: number; complete: boolean }[]>`select version, complete from search_index_state`;
  if (state?.version === version && state.complete) return;
  const [count] = await db.sql<{ n: string }[]>`select count(*) as n from resources where not deleted`;
  logger.info({ resources: Number(count?.n ?? 0), indexerVersion: version }, 'rebuilding the search index');
  const done = await reindex(db, index, version, {
    ifStale: true,
    ...(classify === undefined ? {} : { classify }),
    onProgress: (n) => {
      if (n % 10_000 < BATCH) logger.info({ done: n }, 'search index rebuild progress');
    },
  });
  logger.info({ resources: done }, 'search index rebuilt');
}
