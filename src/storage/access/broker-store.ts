import type { Sql } from 'postgres';
import type { OrganizationRef } from '../../access/organization-ref.js';
import { storable } from '../storable.js';

/** The organization a broker may act for, or why it may not: no such organization, or no active consent of it to the broker. */
export type ActingFor = { readonly organizationId: string } | { readonly problem: 'unknown-organization' | 'no-relationship' };

export interface BrokerStore {
  /** Whether `brokerClientId` may act for the organization `ref` names: its `broker` consent to the broker is active. */
  actingFor(brokerClientId: string, ref: OrganizationRef): Promise<ActingFor>;
}

export function createBrokerStore(sql: Sql): BrokerStore {
  return {
    async actingFor(brokerClientId, ref) {
      const named = ref.kind === 'id' ? [ref.id] : [ref.system, ref.value];
      if (!named.every(storable)) return { problem: 'unknown-organization' };
      // Teams are not parties to consents: only an organization is acted for.
      const which = ref.kind === 'id' ? sql`o.id = ${ref.id}` : sql`o.identifier_system = ${ref.system} and o.identifier_value = ${ref.value}`;
      // One statement: the organization and its consent are read together, with no window between them.
      // A client id no row can hold is compared as null, which matches no consent.
      const [row] = await sql<{ id: string; related: boolean }[]>`
        select o.id, exists (
          select 1 from consents c
          where c.organization_id = o.id and c.kind = 'broker' and c.client_id = ${storable(brokerClientId) ? brokerClientId : null} and c.status = 'active'
        ) as related
        from organizations o
        where o.kind = 'organization' and ${which}`;
      if (row === undefined) return { problem: 'unknown-organization' };
      return row.related ? { organizationId: row.id } : { problem: 'no-relationship' };
    },
  };
}
