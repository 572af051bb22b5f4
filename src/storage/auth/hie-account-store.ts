import type { Sql, TransactionSql } from 'postgres';
import type { HieProfile, ProfileType } from '../../auth/dialects/hie/profile.js';

/** An account as the HIE dialect describes it (the token-info answer, docs/hie.md). */
export interface HieAccount {
  readonly id: string;
  readonly email: string;
  readonly displayName: string | undefined;
  readonly disabled: boolean;
  readonly activatedAt: Date | undefined;
  readonly lastLoginAt: Date | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly groups: readonly string[];
  readonly profiles: readonly HieProfile[];
}

/**
 * What the HIE dialect keeps about accounts: activation, last login, groups and profiles. Every
 * change touches the account's `updated_at` (a trigger does for the account row itself).
 */
export interface HieAccountStore {
  find(accountId: string): Promise<HieAccount | undefined>;
  /** Adds the profile, or replaces the catchments of the account's profile of that type and id. */
  putProfile(accountId: string, profile: HieProfile): Promise<void>;
  /** False when the account has no such profile. */
  removeProfile(accountId: string, type: ProfileType, id: string): Promise<boolean>;
  /** Adds the group (idempotent). */
  addGroup(accountId: string, group: string): Promise<void>;
  /** False when the account is not in the group. */
  removeGroup(accountId: string, group: string): Promise<boolean>;
  setActivated(accountId: string, activated: boolean): Promise<void>;
  recordLogin(accountId: string): Promise<void>;
}

interface AccountRow {
  id: string;
  email: string;
  display_name: string | null;
  disabled_at: Date | null;
  activated_at: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  groups: string[];
  profiles: { type: ProfileType; id: string; catchments: string[] }[];
}

export function createHieAccountStore(sql: Sql): HieAccountStore {
  const touch = (tx: TransactionSql, accountId: string) => tx`update accounts set updated_at = now() where id = ${accountId}`;
  return {
    async find(accountId) {
      const [row] = await sql<AccountRow[]>`
        select a.id, a.email, a.display_name, a.disabled_at, a.activated_at, a.last_login_at, a.created_at, a.updated_at,
               array(select g.group_name from account_groups g where g.account_id = a.id order by g.group_name) as groups,
               coalesce((select json_agg(json_build_object('type', p.type, 'id', p.profile_id, 'catchments', p.catchments) order by p.type, p.profile_id)
                         from account_profiles p where p.account_id = a.id), '[]') as profiles
        from accounts a where a.id = ${accountId}`;
      if (row === undefined) return undefined;
      return {
        id: row.id,
        email: row.email,
        displayName: row.display_name ?? undefined,
        disabled: row.disabled_at !== null,
        activatedAt: row.activated_at ?? undefined,
        lastLoginAt: row.last_login_at ?? undefined,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        groups: row.groups,
        profiles: row.profiles,
      };
    },

    async putProfile(accountId, p) {
      await sql.begin(async (tx) => {
        await tx`
          insert into account_profiles (account_id, type, profile_id, catchments) values (${accountId}, ${p.type}, ${p.id}, ${p.catchments as string[]}::text[])
          on conflict (account_id, type, profile_id) do update set catchments = excluded.catchments`;
        await touch(tx, accountId);
      });
    },

    async removeProfile(accountId, type, id) {
      return sql.begin(async (tx) => {
        const removed = await tx`delete from account_profiles where account_id = ${accountId} and type = ${type} and profile_id = ${id} returning 1`;
        if (removed.length > 0) await touch(tx, accountId);
        return removed.length > 0;
      });
    },

    async addGroup(accountId, group) {
      await sql.begin(async (tx) => {
        const added = await tx`insert into account_groups (account_id, group_name) values (${accountId}, ${group}) on conflict do nothing returning 1`;
        if (added.length > 0) await touch(tx, accountId);
      });
    },

    async removeGroup(accountId, group) {
      return sql.begin(async (tx) => {
        const removed = await tx`delete from account_groups where account_id = ${accountId} and group_name = ${group} returning 1`;
        if (removed.length > 0) await touch(tx, accountId);
        return removed.length > 0;
      });
    },

    async setActivated(accountId, activated) {
      await sql`update accounts set activated_at = case when ${activated} then coalesce(activated_at, now()) end where id = ${accountId}`;
    },

    async recordLogin(accountId) {
      await sql`update accounts set last_login_at = now() where id = ${accountId}`;
    },
  };
}
