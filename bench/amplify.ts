/**
 * BENCH-ONLY DATA AMPLIFICATION, for the bulk-export workload (bench/export-workload.ts): the
 * resources the other workloads stored through the API, copied with SQL straight into the
 * `resources` table until it holds the size the export is measured at (1,000,000; 100,000 with
 * --quick). Through HTTP that many would take longer than the whole benchmark.
 *
 * Each copy is a valid, distinct resource: its id is the original's plus a suffix (`-c1`, `-c2`
 * …), written both in the row and at the head of its JSON; a copy in a patient's compartment
 * belongs to that patient's copy of the same number (its `patient_id`, and every occurrence of
 * the patient's id in its JSON, so `subject: Patient/…` names the copied Patient). References to
 * anything else still name the originals, which exist. Only `resources` rows are written: no
 * history, no search index rows, so a copy can be read and exported but not searched for. Never
 * do this to a database anyone uses.
 */
import postgres from 'postgres';
import type { ClusterConnection } from './embedded-cluster.js';

export interface Amplification {
  /** Live resources before. */
  readonly before: number;
  /** Live resources after (`target` unless there were already more). */
  readonly after: number;
  /** Originals skipped because their JSON did not start as Fhirkeep stores it (should be none). */
  readonly skipped: number;
  /** The INSERT … SELECT statements. */
  readonly insertSeconds: number;
  /** VACUUM (ANALYZE) of resources and a CHECKPOINT, as a settled database would be. */
  readonly settleSeconds: number;
}

/** The suffix that makes copy `copy` (1, 2, …) of an id distinct; FHIR ids allow [A-Za-z0-9\-.]{1,64}. */
export function copySuffix(copy: number): string {
  return `-c${copy}`;
}

/** How many copies of each of `originals` make `rows` new rows (the last round cut short); Infinity if none can. */
export function copiesNeeded(originals: number, rows: number): number {
  if (rows <= 0) return 0;
  return originals <= 0 ? Number.POSITIVE_INFINITY : Math.ceil(rows / originals);
}

/** `total` rows split into `parts` near-equal shares (the first ones one larger). */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** ids this long or shorter still fit FHIR's 64 characters with a suffix of up to 7 digits. */
export const MAX_ORIGINAL_ID = 64 - copySuffix(9_999_999).length;

/** How Fhirkeep's stored JSON starts (src/storage/resource-json.ts): resourceType, then id. */
const HEAD = `'{"resourceType":"' || o.type || '","id":"' || o.id || '"'`;
/** The originals a share copies: live, JSON as Fhirkeep stores it, id short enough for a suffix. */
const ORIGINAL = `o.rid <= $1::bigint and not o.deleted and o.tenant = 0 and length(o.id) <= ${MAX_ORIGINAL_ID} and left(o.content, length(${HEAD})) = ${HEAD}`;

/**
 * One share of the copies: originals with rid ≤ $1 and rid % $4 = $5, read once (the table
 * grows as the statement runs), copy numbers 1…$2, at most $3 rows.
 */
const COPY = `
  with o as materialized (
    select o.*, length(${HEAD}) as head from resources o where ${ORIGINAL} and o.rid % $4::int = $5::int
  )
  insert into resources (tenant, type, id, version_id, last_updated, deleted, content, patient_id,
                         owner_account, source_app, content_type, codes, created_at, security)
  select o.tenant, o.type, o.id || s.suffix, o.version_id, o.last_updated, false,
    '{"resourceType":"' || o.type || '","id":"' || o.id || s.suffix || '"'
      || case when o.patient_id is null then substr(o.content, o.head + 1)
              else replace(substr(o.content, o.head + 1), o.patient_id, o.patient_id || s.suffix) end,
    o.patient_id || s.suffix, o.owner_account, o.source_app, o.content_type, o.codes, o.created_at, o.security
  from generate_series(1, $2::int) g
  cross join lateral (select '-c' || g as suffix) s
  cross join o
  limit $3::bigint`;

/**
 * Copies the live resources in the database at `connection` (or a URL) until there are `target`, in
 * `parallel` statements at once (one per core is about right: each is one backend's work), then
 * settles the table. Does nothing (but count) when there are already `target`.
 */
export async function amplifyResources(connection: ClusterConnection | string, target: number, parallel = 2): Promise<Amplification> {
  const options = { max: parallel, onnotice: () => {} };
  const sql = typeof connection === 'string' ? postgres(connection, options) : postgres({ ...connection, ...options });
  try {
    const [live] = await sql<{ n: number; max_rid: string }[]>`
      select count(*)::int as n, coalesce(max(rid), 0)::text as max_rid from resources where not deleted and tenant = 0`;
    const before = live?.n ?? 0;
    const maxRid = live?.max_rid ?? '0';
    const perPart = await sql.unsafe<{ part: number; n: number }[]>(
      `select (o.rid % $2::int)::int as part, count(*)::int as n from resources o where ${ORIGINAL} group by 1`,
      [maxRid, parallel],
    );
    const originals = perPart.reduce((sum, p) => sum + p.n, 0);
    const skipped = before - originals;
    const wanted = shares(Math.max(0, target - before), parallel);
    // Enough copies that every share has its rows (the rids need not split evenly).
    const copies = Math.max(0, ...wanted.map((rows, part) => copiesNeeded(perPart.find((p) => p.part === part)?.n ?? 0, rows)));
    if (copies === 0) return { before, after: before, skipped, insertSeconds: 0, settleSeconds: 0 };
    if (copies > 9_999_999) throw new Error(`${target} resources would take ${copies} copies of the ${originals} there are`);

    const started = performance.now();
    const written = await Promise.all(wanted.map(async (limit, part) => (await sql.unsafe(COPY, [maxRid, copies, limit, parallel, part])).count));
    const insertSeconds = (performance.now() - started) / 1000;

    const settling = performance.now();
    await sql`vacuum (analyze) resources`;
    await sql`checkpoint`;
    const settleSeconds = (performance.now() - settling) / 1000;
    return { before, after: before + written.reduce((a, b) => a + b, 0), skipped, insertSeconds, settleSeconds };
  } finally {
    await sql.end();
  }
}
