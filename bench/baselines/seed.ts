import postgres from 'postgres';
import { withId, type DatasetResource } from '../dataset.js';
import type { ClusterConnection } from '../embedded-cluster.js';

/** The database the SQL baseline reads, beside Fhirkeep's own in the same cluster. */
export const BASELINE_DATABASE = 'bench_baseline';

/**
 * Creates the SQL baseline's database and a table shaped like Fhirkeep's `resources` (identity
 * key, unique (tenant, type, id), fillfactor 90, uncompressed content: migration 001), holding
 * every data-set resource as `b{index}`.
 */
export async function seedBaseline(connection: ClusterConnection, resources: readonly DatasetResource[]): Promise<void> {
  const admin = postgres({ ...connection, max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${BASELINE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const sql = postgres({ ...connection, database: BASELINE_DATABASE, max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      create table resources (
        rid     bigint generated always as identity primary key,
        tenant  int not null default 0,
        type    text not null,
        id      text not null,
        content text,
        constraint resources_tenant_type_id unique (tenant, type, id)
      ) with (fillfactor = 90);
      alter table resources alter column content set storage external;`);
    const rows = resources.map((r, i) => ({ type: r.type, id: `b${i}`, content: withId(r, `b${i}`) }));
    for (let k = 0; k < rows.length; k += 1000) await sql`insert into resources ${sql(rows.slice(k, k + 1000))}`;
    // Now rather than by autovacuum in the middle of a measurement.
    await sql`vacuum analyze resources`;
  } finally {
    await sql.end();
  }
}
