import type { Sql } from 'postgres';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { FOREIGN_KEY_VIOLATION } from '../database-errors.js';

/** Who manages a service's keys: one account, or the members of one organization or team. */
export type ServiceManager = { readonly kind: 'account'; readonly id: string } | { readonly kind: 'organization'; readonly id: string } | { readonly kind: 'none' };

export interface ServiceManagerStore {
  /** Undefined for an unknown client. */
  managerOf(clientId: string): Promise<ServiceManager | undefined>;
  /** `not-found` for an unknown client, account or organization. */
  setManager(clientId: string, manager: Exclude<ServiceManager, { kind: 'none' }>): Promise<void>;
  /** Whether the account may act as `manager`: it is that account, or a member of that organization or team. */
  isManager(accountId: string, manager: ServiceManager): Promise<boolean>;
  /** The clients this account manages, itself or as a member of the managing organization or team, oldest first. */
  managedBy(accountId: string): Promise<string[]>;
}

export function createServiceManagerStore(sql: Sql): ServiceManagerStore {
  return {
    async managerOf(clientId) {
      const [row] = await sql<{ manager_account: string | null; manager_organization: string | null }[]>`
        select manager_account, manager_organization from clients where id = ${clientId}`;
      if (row === undefined) return undefined;
      if (row.manager_account !== null) return { kind: 'account', id: row.manager_account };
      if (row.manager_organization !== null) return { kind: 'organization', id: row.manager_organization };
      return { kind: 'none' };
    },

    async setManager(clientId, manager) {
      try {
        const rows =
          manager.kind === 'account'
            ? await sql`update clients set manager_account = ${manager.id}, manager_organization = null where id = ${clientId} returning id`
            : await sql`update clients set manager_account = null, manager_organization = ${manager.id} where id = ${clientId} returning id`;
        if (rows.length === 0) throw new FhirkeepError('not-found', `There is no client ${clientId}`);
      } catch (e) {
        if ((e as { code?: unknown }).code === FOREIGN_KEY_VIOLATION) throw new FhirkeepError('not-found', `There is no ${manager.kind} ${manager.id}`, { cause: e });
        throw e;
      }
    },

    async isManager(accountId, manager) {
      if (manager.kind === 'none') return false;
      if (manager.kind === 'account') return manager.id === accountId;
      const [row] = await sql`select 1 from organization_members where organization_id = ${manager.id} and account_id = ${accountId}`;
      return row !== undefined;
    },

    async managedBy(accountId) {
      const rows = await sql<{ id: string }[]>`
        select id from clients
        where manager_account = ${accountId}
           or manager_organization in (select organization_id from organization_members where account_id = ${accountId})
        order by created_at, id`;
      return rows.map((r) => r.id);
    },
  };
}
