import type { Sql } from 'postgres';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { createAccountStore, type AccountStore } from '../../storage/auth/account-store.js';
import { createLoginFailureStore } from '../../storage/auth/login-failure-store.js';
import { createOrganizationStore, type OrganizationStore } from '../../storage/auth/organization-store.js';
import type { RecordSecurityEvent } from '../security-events.js';
import type { Account, LoginOrigin } from './account.js';
import { validateAccountInput, type NewAccountInput } from './account-input.js';
import { bootstrapAdmin, type AdminBootstrap, type AdminSettings } from './bootstrap-admin.js';
import { emailProblem, PASSWORD_MAX_LENGTH } from './credentials-policy.js';
import { createLoginThrottle, DEFAULT_THROTTLE, type LoginThrottle, type ThrottleLimits } from './login-throttle.js';
import type { Member, MemberRole, Membership, Organization, OrganizationIdentifier } from './organization.js';
import { validateIdentifier, validateMemberRole, validateOrganizationName } from './organization-input.js';
import { hashPassword, verifyPassword } from './passwords.js';

export interface AccountServiceOptions {
  /** The database pool; only the stores built here use it (ARCHITECTURE.md, the one rule). */
  readonly db: { readonly sql: Sql };
  readonly record: RecordSecurityEvent;
  /** Login throttling; tests lower the limits. */
  readonly throttle?: ThrottleLimits;
}

export interface AccountService {
  /**
   * Checks an email and password. Throws `too-many-requests` (with Retry-After) while the account
   * or the address is locked, without checking the password; `unauthorized` otherwise.
   */
  authenticate(email: string, password: string, origin: LoginOrigin): Promise<Account>;
  /** Throws `bad-request` for invalid input and `version-conflict` for an email in use. */
  create(input: NewAccountInput): Promise<Account>;
  find(id: string): Promise<Account | undefined>;
  findByEmail(email: string): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  /** Refuses every later login of the account (`not-found` when there is none). */
  disable(id: string): Promise<Account>;
  bootstrapAdmin(settings: AdminSettings): Promise<AdminBootstrap>;

  createOrganization(input: { name: string; identifier?: OrganizationIdentifier | undefined }): Promise<Organization>;
  createTeam(organizationId: string, name: string): Promise<Organization>;
  findOrganization(id: string): Promise<Organization | undefined>;
  listOrganizations(): Promise<Organization[]>;
  /** Adds an account to an organization or team, or changes its role there. */
  addMember(organizationId: string, accountId: string, role?: MemberRole): Promise<Membership>;
  members(organizationId: string): Promise<Member[]>;
  organizationsOf(accountId: string): Promise<Membership[]>;
}

/** The same answer whether the email is unknown or the password wrong (OWASP Authentication Cheat Sheet). */
const WRONG_CREDENTIALS = 'Wrong email or password';

export function createAccountService(options: AccountServiceOptions): AccountService {
  const accounts = createAccountStore(options.db.sql);
  const organizations = createOrganizationStore(options.db.sql);
  const throttle = createLoginThrottle(createLoginFailureStore(options.db.sql), options.throttle ?? DEFAULT_THROTTLE);
  const { record } = options;

  return {
    authenticate: (email, password, origin) => authenticate({ accounts, throttle, record }, email, password, origin),

    async create(input) {
      const valid = validateAccountInput(input);
      const account = await accounts.insert({
        ...valid,
        passwordHash: valid.password === undefined ? undefined : await hashPassword(valid.password),
      });
      record({ kind: 'account-create', outcome: 'success', accountId: account.id, detail: { roles: account.roles } });
      return account;
    },

    find: (id) => accounts.findById(id),
    findByEmail: (email) => accounts.findByEmail(email.trim()),
    list: () => accounts.list(),

    async disable(id) {
      const account = await accounts.disable(id);
      if (account === undefined) throw new FhirkeepError('not-found', `No account ${id}`);
      return account;
    },

    bootstrapAdmin: (settings) => bootstrapAdmin({ accounts, record }, settings),

    // async, so bad input rejects the promise like every other failure rather than throwing.
    async createOrganization(input) {
      return organizations.insertOrganization({
        name: validateOrganizationName(input.name),
        identifier: input.identifier === undefined ? undefined : validateIdentifier(input.identifier),
      });
    },
    async createTeam(organizationId, name) {
      return organizations.insertTeam(organizationId, validateOrganizationName(name));
    },
    findOrganization: (id) => organizations.findById(id),
    listOrganizations: () => organizations.list(),

    addMember: async (organizationId, accountId, role = 'member') => organizations.upsertMember(organizationId, accountId, validateMemberRole(role)),
    members: (organizationId) => organizations.members(organizationId),
    organizationsOf: (accountId) => organizations.membershipsOf(accountId),
  };
}

async function authenticate(
  deps: { accounts: AccountStore; throttle: LoginThrottle; record: RecordSecurityEvent },
  rawEmail: string,
  password: string,
  origin: LoginOrigin,
): Promise<Account> {
  const { accounts, throttle, record } = deps;
  const email = rawEmail.trim();
  // The one record of each attempt; the authorization pages pass the client in the origin.
  const client = origin.clientId === undefined ? {} : { clientId: origin.clientId };
  const fail = (reason: string, accountId?: string) => record({ kind: 'login', outcome: 'failure', accountId, ...client, ip: origin.ip, detail: { reason } });
  // Input that can name no account is answered at once: no account or password was tried. A
  // password longer than any that can be set is wrong too, before argon2 hashes up to a whole body.
  if (emailProblem(email) !== undefined || password === '' || password.length > PASSWORD_MAX_LENGTH) {
    fail('malformed');
    throw new FhirkeepError('unauthorized', WRONG_CREDENTIALS);
  }
  const found = await accounts.credentialsByEmail(email);
  const subject = found === undefined ? { email } : { accountId: found.account.id };
  try {
    await throttle.check(subject, origin.ip);
  } catch (e) {
    fail('locked', found?.account.id);
    throw e;
  }
  // Runs a full argon2 verification even without an account, so timing does not tell them apart.
  if (!(await verifyPassword(found?.passwordHash, password)) || found === undefined) {
    await throttle.recordFailure(subject, origin.ip);
    fail(found === undefined ? 'unknown-email' : found.passwordHash === undefined ? 'no-password' : 'wrong-password', found?.account.id);
    throw new FhirkeepError('unauthorized', WRONG_CREDENTIALS);
  }
  // Said only to someone who knows the password: it reveals nothing to a guesser.
  if (found.account.disabled) {
    fail('disabled', found.account.id);
    throw new FhirkeepError('unauthorized', 'This account is disabled');
  }
  await throttle.recordSuccess(found.account.id);
  record({ kind: 'login', outcome: 'success', accountId: found.account.id, ...client, ip: origin.ip });
  return found.account;
}
