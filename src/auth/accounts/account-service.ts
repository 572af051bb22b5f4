import type { Sql } from 'postgres';
import { FhirkeepError, isFhirkeepError } from '../../errors/fhirkeep-error.js';
import { createAccountStore, type AccountStore } from '../../storage/auth/account-store.js';
import { createLoginFailureStore } from '../../storage/auth/login-failure-store.js';
import { createOrganizationStore, type OrganizationStore } from '../../storage/auth/organization-store.js';
import type { RecordSecurityEvent } from '../security-events.js';
import type { Account, LoginOrigin } from './account.js';
import { validateAccountInput, type NewAccountInput } from './account-input.js';
import { bootstrapAdmin, type AdminBootstrap, type AdminSettings } from './bootstrap-admin.js';
import { emailProblem, normalizePassword, passwordProblem, PASSWORD_MAX_LENGTH } from './credentials-policy.js';
import { createLoginThrottle, DEFAULT_THROTTLE, type LoginThrottle, type ThrottleLimits } from './login-throttle.js';
import type { Member, MemberRole, Membership, Organization, OrganizationIdentifier } from './organization.js';
import { validateIdentifier, validateMemberRole, validateOrganizationName } from './organization-input.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { createSignUpThrottle, DEFAULT_SIGN_UPS_PER_ADDRESS } from './sign-up-throttle.js';

export interface AccountServiceOptions {
  /** The database pool; only the stores built here use it (ARCHITECTURE.md, the one rule). */
  readonly db: { readonly sql: Sql };
  readonly record: RecordSecurityEvent;
  /** Login throttling; tests lower the limits. */
  readonly throttle?: ThrottleLimits;
  /** Sign-up attempts per address in the login throttle's window (sign-up-throttle.ts); tests lower it. */
  readonly signUpsPerAddress?: number;
  /**
   * The per-address sign-in rate limit (docs/limits.md), counted before anything else of a
   * password check; throws `too-many-requests` with Retry-After past it.
   */
  readonly admitLogin?: ((ip: string) => void | Promise<void>) | undefined;
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
  /**
   * Changes an account's password. The current one is checked as a login is (the same throttle
   * and security log), the new one by the password policy. Throws `bad-request` for a new
   * password the policy refuses (before the current one is tried), `forbidden` for a wrong
   * current one, `too-many-requests` while logins are locked. Sessions are the caller's to end
   * (password-change.ts).
   */
  changePassword(accountId: string, current: string, next: string, origin: LoginOrigin): Promise<void>;
  /** Counts one sign-up attempt from this address; `too-many-requests` past the limit (sign-up-throttle.ts). */
  admitSignUp(ip: string): Promise<void>;
  /** Deletes an account just made by a sign-up that could not be completed (sign-up.ts). */
  discardSignUp(id: string): Promise<void>;

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
  const failures = createLoginFailureStore(options.db.sql);
  const limits = options.throttle ?? DEFAULT_THROTTLE;
  const throttle = createLoginThrottle(failures, limits);
  const signUps = createSignUpThrottle(failures, { perAddress: options.signUpsPerAddress ?? DEFAULT_SIGN_UPS_PER_ADDRESS, windowSeconds: limits.windowSeconds });
  const { record, admitLogin } = options;

  return {
    authenticate: (email, password, origin) => authenticate({ accounts, throttle, record, admitLogin }, email, password, origin),

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

    changePassword: (accountId, current, next, origin) => changePassword({ accounts, throttle, record, admitLogin }, accountId, current, next, origin),

    admitSignUp: (ip) => signUps.admit(ip),

    async discardSignUp(id) {
      await accounts.delete(id);
      record({ kind: 'account-create', outcome: 'failure', accountId: id, detail: { reason: 'sign-up undone' } });
    },

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

interface CredentialDeps {
  readonly accounts: AccountStore;
  readonly throttle: LoginThrottle;
  readonly record: RecordSecurityEvent;
  readonly admitLogin?: ((ip: string) => void | Promise<void>) | undefined;
}

async function authenticate(deps: CredentialDeps, rawEmail: string, password: string, origin: LoginOrigin, purpose?: 'password-change'): Promise<Account> {
  const { accounts, throttle, record } = deps;
  // Not recorded when refused: a flood would otherwise write a security event per request it sends.
  await deps.admitLogin?.(origin.ip);
  const email = rawEmail.trim();
  // The one record of each attempt; the authorization pages pass the client in the origin.
  const client = origin.clientId === undefined ? {} : { clientId: origin.clientId };
  // A password checked to change it is logged as such, not as someone signing in.
  const why = purpose === undefined ? {} : { purpose };
  const fail = (reason: string, accountId?: string) => record({ kind: 'login', outcome: 'failure', accountId, ...client, ip: origin.ip, detail: { reason, ...why } });
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
  record({ kind: 'login', outcome: 'success', accountId: found.account.id, ...client, ip: origin.ip, ...(purpose === undefined ? {} : { detail: why }) });
  return found.account;
}

async function changePassword(deps: CredentialDeps, accountId: string, current: string, next: string, origin: LoginOrigin): Promise<void> {
  const { accounts, record } = deps;
  const fail = (reason: string) => record({ kind: 'password-change', outcome: 'failure', accountId, ip: origin.ip, detail: { reason } });
  const account = await accounts.findById(accountId);
  if (account === undefined) throw new FhirkeepError('not-found', `No account ${accountId}`);
  // The policy first: a refused new password costs no guess at the current one.
  const problem = passwordProblem(next);
  if (problem !== undefined) {
    fail('policy');
    throw new FhirkeepError('bad-request', problem, { details: [{ expression: 'new_password', message: problem }] });
  }
  try {
    await authenticate(deps, account.email, current, origin, 'password-change');
  } catch (e) {
    if (isFhirkeepError(e) && e.code === 'too-many-requests') fail('locked');
    if (isFhirkeepError(e) && e.code === 'unauthorized') {
      fail('wrong-password');
      // The caller is signed in: naming the wrong password reveals nothing, and 401 would read as "signed out".
      throw new FhirkeepError('forbidden', 'The current password is wrong', { details: [{ expression: 'current_password', message: 'The current password is wrong' }] });
    }
    throw e;
  }
  if (normalizePassword(next) === normalizePassword(current)) {
    fail('unchanged');
    throw new FhirkeepError('bad-request', 'The new password must differ from the current one', { details: [{ expression: 'new_password', message: 'The new password must differ from the current one' }] });
  }
  if (!(await accounts.setPasswordHash(accountId, await hashPassword(next)))) throw new FhirkeepError('not-found', `No account ${accountId}`);
  record({ kind: 'password-change', outcome: 'success', accountId, ip: origin.ip });
}
