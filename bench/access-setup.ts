/**
 * The access engine's side of the benchmarks (issue 5): a service whose access filter and
 * subscriptions decide what it sees, next to the institution's own backend (reach all) that sees
 * everything. Their ratio on the same requests is the cost of the filter and the consents.
 */
import postgres from 'postgres';
import { clientToken, createClient } from './auth-workloads.js';
import { clusterConnection } from './embedded-cluster.js';
import type { Server } from './process.js';

export interface AccessTokens {
  /** The institution's backend: no filter, every record. */
  readonly unfiltered: string;
  /** A subscribed service: its filter, and a consent from every patient in the database. */
  readonly filtered: string;
}

/**
 * Registers both clients with the CLI, then subscribes every patient to the filtered one. The
 * subscriptions are written straight into the database, as a migration of existing consents
 * would be (one account and one active `service` consent per Patient, at the client's current
 * filter version): through the API, thousands would take longer than the benchmark itself.
 */
export async function accessTokens(server: Server, dataDir: string, filter: object): Promise<AccessTokens> {
  const institution = await createClient(dataDir, ['--name', 'bench institution'], { filter: null, reach: 'all' });
  const service = await createClient(dataDir, ['--name', 'bench subscribed service'], { filter, reach: 'consented' });
  const sql = postgres({ ...clusterConnection(dataDir), max: 1, onnotice: () => {} });
  try {
    await sql`
      insert into accounts (id, email, roles, patient_id)
      select 'bench-' || p, 'bench-' || p || '@example.org', '{patient}', p
      from (select distinct patient_id as p from resources where patient_id is not null) patients
      on conflict do nothing`;
    await sql`
      insert into consents (id, kind, status, account_id, client_id, patient_id, filter_version, resource)
      select gen_random_uuid(), 'service', 'active', a.id, c.id, a.patient_id, c.filter_version, '{"resourceType":"Consent","status":"active"}'
      from accounts a, clients c
      where a.id like 'bench-%' and c.id = ${service.client_id}
      on conflict do nothing`;
    // As the searches' own data after the load: what autovacuum does on its own soon after (the
    // visibility map lets each consent probe be an index-only scan).
    await sql`vacuum (analyze) accounts, consents`;
  } finally {
    await sql.end();
  }
  const secret = (c: { client_id: string; client_secret?: string }) => ({ id: c.client_id, secret: c.client_secret ?? '' });
  return { unfiltered: await clientToken(server, secret(institution)), filtered: await clientToken(server, secret(service)) };
}
