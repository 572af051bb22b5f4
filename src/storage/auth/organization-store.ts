import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import type { Member, MemberRole, Membership, Organization, OrganizationIdentifier, OrganizationKind } from '../../auth/accounts/organization.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { toAccount, type AccountRow } from './account-store.js';
import { FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from '../database-errors.js';

export interface NewOrganization {
  readonly name: string;
  readonly identifier: OrganizationIdentifier | undefined;
}

export interface OrganizationStore {
  /** Throws `version-conflict` when another organization has the same identifier. */
  insertOrganization(org: NewOrganization): Promise<Organization>;
  /** A team inside `parentId`; throws `not-found` unless that is an organization (teams do not nest). */
  insertTeam(parentId: string, name: string): Promise<Organization>;
  findById(id: string): Promise<Organization | undefined>;
  /** Organizations and teams, each team right after its organization. */
  list(): Promise<Organization[]>;
  /** Adds the member, or changes the role of one already there; `not-found` for an unknown organization or account. */
  upsertMember(organizationId: string, accountId: string, role: MemberRole): Promise<Membership>;
  members(organizationId: string): Promise<Member[]>;
  membershipsOf(accountId: string): Promise<Membership[]>;
}

interface OrganizationRow {
  id: string;
  kind: OrganizationKind;
  parent_id: string | null;
  name: string;
  identifier_system: string | null;
  identifier_value: string | null;
}

export function createOrganizationStore(sql: Sql): OrganizationStore {
  const columns = sql`o.id, o.kind, o.parent_id, o.name, o.identifier_system, o.identifier_value`;

  return {
    async insertOrganization(org) {
      try {
        const [row] = await sql<OrganizationRow[]>`
          insert into organizations as o (id, kind, name, identifier_system, identifier_value)
          values (${randomUUID()}, 'organization', ${org.name}, ${org.identifier?.system ?? null}, ${org.identifier?.value ?? null})
          returning ${columns}`;
        return toOrganization(row as OrganizationRow);
      } catch (e) {
        if ((e as { code?: unknown }).code === UNIQUE_VIOLATION && org.identifier !== undefined) {
          const { system, value } = org.identifier;
          throw new FhirkeepError('version-conflict', `An organization with the identifier ${system}|${value} exists already`, { cause: e });
        }
        throw e;
      }
    },

    async insertTeam(parentId, name) {
      // One statement: the parent is checked and the team inserted without a window between them.
      const [row] = await sql<OrganizationRow[]>`
        insert into organizations as o (id, kind, parent_id, name)
        select ${randomUUID()}, 'team', p.id, ${name} from organizations p where p.id = ${parentId} and p.kind = 'organization'
        returning ${columns}`;
      if (row === undefined) throw new FhirkeepError('not-found', `No organization ${parentId} (a team belongs to an organization, not to a team)`);
      return toOrganization(row);
    },

    async findById(id) {
      const [row] = await sql<OrganizationRow[]>`select ${columns} from organizations o where o.id = ${id}`;
      return row === undefined ? undefined : toOrganization(row);
    },

    async list() {
      const rows = await sql<OrganizationRow[]>`
        select ${columns} from organizations o left join organizations p on p.id = o.parent_id
        order by coalesce(p.created_at, o.created_at), coalesce(p.id, o.id), o.parent_id nulls first, o.created_at, o.id`;
      return rows.map(toOrganization);
    },

    async upsertMember(organizationId, accountId, role) {
      try {
        const [row] = await sql<(OrganizationRow & { member_role: MemberRole })[]>`
          with m as (
            insert into organization_members (organization_id, account_id, role) values (${organizationId}, ${accountId}, ${role})
            on conflict (organization_id, account_id) do update set role = excluded.role
            returning organization_id, role
          )
          select ${columns}, m.role as member_role from m join organizations o on o.id = m.organization_id`;
        const { member_role, ...organization } = row as OrganizationRow & { member_role: MemberRole };
        return { organization: toOrganization(organization), role: member_role };
      } catch (e) {
        if ((e as { code?: unknown }).code === FOREIGN_KEY_VIOLATION) {
          const missing = (e as { constraint_name?: string }).constraint_name?.endsWith('account_id_fkey') ? `account ${accountId}` : `organization ${organizationId}`;
          throw new FhirkeepError('not-found', `No ${missing}`, { cause: e });
        }
        throw e;
      }
    },

    async members(organizationId) {
      const rows = await sql<(AccountRow & { member_role: MemberRole })[]>`
        select a.id, a.email, a.roles, a.display_name, a.patient_id, a.practitioner_id, a.disabled_at, m.role as member_role
        from organization_members m join accounts a on a.id = m.account_id
        where m.organization_id = ${organizationId} order by lower(a.email)`;
      return rows.map((r) => ({ account: toAccount(r), role: r.member_role }));
    },

    async membershipsOf(accountId) {
      const rows = await sql<(OrganizationRow & { member_role: MemberRole })[]>`
        select ${columns}, m.role as member_role
        from organization_members m join organizations o on o.id = m.organization_id
        where m.account_id = ${accountId} order by o.name, o.id`;
      return rows.map((r) => ({ organization: toOrganization(r), role: r.member_role }));
    },
  };
}

function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    kind: row.kind,
    parentId: row.parent_id ?? undefined,
    name: row.name,
    identifier:
      row.identifier_system === null || row.identifier_value === null ? undefined : { system: row.identifier_system, value: row.identifier_value },
  };
}
