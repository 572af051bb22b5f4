import type { Sql } from 'postgres';
import type { HieClient } from '../../auth/dialects/hie/hie-client.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { FOREIGN_KEY_VIOLATION } from '../database-errors.js';

interface ClientRow {
  id: string;
  organization_id: string;
  created_at: Date;
  revoked_at: Date | null;
}

const clientOf = (r: ClientRow): HieClient => ({ id: r.id, organizationId: r.organization_id, createdAt: r.created_at, revokedAt: r.revoked_at ?? undefined });

/** Organizations' HIE API credentials; the secret only as its SHA-256. */
export interface HieClientStore {
  /** Throws `not-found` when there is no such organization. */
  insert(id: string, organizationId: string, secretHash: Buffer): Promise<HieClient>;
  credentials(id: string): Promise<{ readonly client: HieClient; readonly secretHash: Buffer } | undefined>;
  /** Marks the client revoked (idempotent); undefined when there is none. */
  revoke(id: string): Promise<HieClient | undefined>;
  /** Every client, oldest first. */
  list(): Promise<HieClient[]>;
}

export function createHieClientStore(sql: Sql): HieClientStore {
  const columns = sql`id, organization_id, created_at, revoked_at`;
  return {
    async insert(id, organizationId, secretHash) {
      try {
        const [row] = await sql<ClientRow[]>`
          insert into hie_clients (id, organization_id, secret_hash) values (${id}, ${organizationId}, ${secretHash}) returning ${columns}`;
        return clientOf(row as ClientRow);
      } catch (e) {
        if ((e as { code?: unknown }).code === FOREIGN_KEY_VIOLATION) throw new FhirkeepError('not-found', `No organization ${organizationId}`, { cause: e });
        throw e;
      }
    },

    async credentials(id) {
      const [row] = await sql<(ClientRow & { secret_hash: Buffer })[]>`select ${columns}, secret_hash from hie_clients where id = ${id}`;
      return row === undefined ? undefined : { client: clientOf(row), secretHash: row.secret_hash };
    },

    async revoke(id) {
      const [row] = await sql<ClientRow[]>`update hie_clients set revoked_at = coalesce(revoked_at, now()) where id = ${id} returning ${columns}`;
      return row === undefined ? undefined : clientOf(row);
    },

    async list() {
      return (await sql<ClientRow[]>`select ${columns} from hie_clients order by created_at, id`).map(clientOf);
    },
  };
}
