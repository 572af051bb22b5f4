import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { Account, Role } from '../../auth/accounts/account.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { REVOCATION_CHANNEL } from './revocation-feed.js';
import { UNIQUE_VIOLATION } from '../database-errors.js';

/** What creating an account stores; the password arrives already hashed. */
export interface NewAccount {
  readonly email: string;
  readonly passwordHash: string | undefined;
  readonly roles: readonly Role[];
  readonly displayName: string | undefined;
  readonly patientId: string | undefined;
  readonly practitionerId: string | undefined;
}

/** An account with its stored password hash: only for verifying a login, never for answers. */
export interface AccountCredentials {
  readonly account: Account;
  readonly passwordHash: string | undefined;
}

export interface AccountStore {
  /** Throws `version-conflict` when an account has this email already (compared case-insensitively). */
  insert(account: NewAccount): Promise<Account>;
  /**
   * Inserts the first admin unless an admin exists, atomically across nodes: two servers that
   * start at once on an empty database make one admin, not two. Undefined when one existed.
   */
  insertFirstAdmin(account: NewAccount): Promise<Account | undefined>;
  /** True when some account (enabled or not) holds the admin role. */
  hasAdmin(): Promise<boolean>;
  findById(id: string): Promise<Account | undefined>;
  findByEmail(email: string): Promise<Account | undefined>;
  credentialsByEmail(email: string): Promise<AccountCredentials | undefined>;
  /** Every account, oldest first. */
  list(): Promise<Account[]>;
  /** Marks the account disabled (idempotent) and returns it; undefined when there is no such account. */
  disable(id: string): Promise<Account | undefined>;
  /** Replaces the stored password hash; false when there is no such account. */
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>;
  /**
   * Deletes an account outright (its sessions, memberships and consents go with it). Only for
   * undoing a sign-up whose Patient could not be written: accounts in use are disabled, never deleted.
   */
  delete(id: string): Promise<void>;
}

/** The account columns every account query selects (organization members too). */
export interface AccountRow {
  id: string;
  email: string;
  roles: Role[];
  display_name: string | null;
  patient_id: string | null;
  practitioner_id: string | null;
  disabled_at: Date | null;
}

/** Any constant both nodes agree on: the advisory-lock key serialising the first-admin insert. */
const FIRST_ADMIN_LOCK = 0x46_4b_41_44; 
export function createAccountStore(sql: Sql): AccountStore {
  const columns = sql`id, email, roles, display_name, patient_id, practitioner_id, disabled_at`;

  const insertRow = async (q: Sql | TransactionSql, a: NewAccount): Promise<Account> => {
    try {
      const [row] = await q<AccountRow[]>`
        insert into accounts (id, email, password_hash, roles, display_name, patient_id, practitioner_id)
        values (${randomUUID()}, ${a.email}, ${a.passwordHash ?? null}, ${a.roles as Role[]}::text[],
                ${a.displayName ?? null}, ${a.patientId ?? null}, ${a.practitionerId ?? null})
        returning ${columns}`;
      return toAccount(row as AccountRow);
    } catch (e) {
      if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) {
        throw new FhirkeepError('version-conflict', `An account with the email ${a.email} exists already`, { cause: e });
      }
      throw e;
    }
  };

  return {
    insert: (a) => insertRow(sql, a),

    async insertFirstAdmin(a) {
      const created = await sql.begin(async (tx) => {
        // Held to the end of this transaction: the second node waits, then sees the first's admin.
        await tx`select pg_advisory_xact_lock(${FIRST_ADMIN_LOCK})`;
        const [existing] = await tx`select 1 from accounts where 'admin' = any(roles) limit 1`;
        return existing === undefined ? insertRow(tx, a) : undefined;
      });
      return created as Account | undefined;
    },

    async hasAdmin() {
      const [row] = await sql`select 1 from accounts where 'admin' = any(roles) limit 1`;
      return row !== undefined;
    },

    async findById(id) {
      const [row] = await sql<AccountRow[]>`select ${columns} from accounts where id = ${id}`;
      return row === undefined ? undefined : toAccount(row);
    },

    async findByEmail(email) {
      const [row] = await sql<AccountRow[]>`select ${columns} from accounts where lower(email) = lower(${email})`;
      return row === undefined ? undefined : toAccount(row);
    },

    async credentialsByEmail(email) {
      const [row] = await sql<(AccountRow & { password_hash: string | null })[]>`
        select ${columns}, password_hash from accounts where lower(email) = lower(${email})`;
      return row === undefined ? undefined : { account: toAccount(row), passwordHash: row.password_hash ?? undefined };
    },

    async list() {
      const rows = await sql<AccountRow[]>`select ${columns} from accounts order by created_at, id`;
      return rows.map(toAccount);
    },

    async disable(id) {
      // The revocation views of every node stop the account's live access tokens.
      const [row] = await sql<AccountRow[]>`
        update accounts set disabled_at = coalesce(disabled_at, now()) where id = ${id}
        returning ${columns}, pg_notify(${REVOCATION_CHANNEL}, 'account:' || id)`;
      return row === undefined ? undefined : toAccount(row);
    },

    async setPasswordHash(id, passwordHash) {
      const rows = await sql`update accounts set password_hash = ${passwordHash} where id = ${id} returning id`;
      return rows.length > 0;
    },

    async delete(id) {
      await sql`delete from accounts where id = ${id}`;
    },
  };
}

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    roles: row.roles,
    displayName: row.display_name ?? undefined,
    patientId: row.patient_id ?? undefined,
    practitionerId: row.practitioner_id ?? undefined,
    disabled: row.disabled_at !== null,
  };
}
