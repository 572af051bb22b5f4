import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { HieAccount, HieAccountStore } from '../../../storage/auth/hie-account-store.js';
import type { AccountService } from '../../accounts/account-service.js';
import { findUser } from '../../accounts/find-user.js';
import type { RecordSecurityEvent } from '../../security-events.js';
import { validateGroupName, validateProfile, type ProfileType } from './profile.js';

/**
 * Managing what the HIE dialect knows of accounts (the CLI, the admin API): profiles and their
 * catchments, groups, activation. Users are named by id or email. Changes apply to live
 * sessions from their next request (a request reads the profiles afresh).
 */
export interface HieAccounts {
  find(user: string): Promise<HieAccount>;
  /** Adds a profile, or replaces the catchments of the user's profile of that type and id. */
  putProfile(user: string, profile: { readonly type: string; readonly id: string; readonly catchments: readonly string[] }): Promise<HieAccount>;
  removeProfile(user: string, type: string, id: string): Promise<HieAccount>;
  addGroup(user: string, group: string): Promise<HieAccount>;
  removeGroup(user: string, group: string): Promise<HieAccount>;
  /** Activation (docs/hie.md): the dialect refuses accounts not activated. */
  setActivated(user: string, activated: boolean): Promise<HieAccount>;
}

export function createHieAccounts(deps: { readonly store: HieAccountStore; readonly accounts: Pick<AccountService, 'find' | 'findByEmail'>; readonly record: RecordSecurityEvent }): HieAccounts {
  const { store, record } = deps;
  const load = async (accountId: string): Promise<HieAccount> => {
    const found = await store.find(accountId);
    if (found === undefined) throw new FhirkeepError('not-found', `No user ${accountId}`);
    return found;
  };
  /** Resolves the user, applies the change, records it, and answers the account as it is now. */
  const change = async (user: string, what: Record<string, unknown>, apply: (accountId: string) => Promise<void>): Promise<HieAccount> => {
    const { id } = await findUser(deps.accounts, user);
    await apply(id);
    record({ kind: 'hie-account-change', outcome: 'success', accountId: id, detail: what });
    return load(id);
  };
  return {
    find: async (user) => load((await findUser(deps.accounts, user)).id),

    async putProfile(user, input) {
      const profile = validateProfile(input);
      return change(user, { profile_put: profile }, (id) => store.putProfile(id, profile));
    },

    async removeProfile(user, type, profileId) {
      return change(user, { profile_removed: { type, id: profileId } }, async (id) => {
        if (!(await store.removeProfile(id, type as ProfileType, profileId))) throw new FhirkeepError('not-found', `The user has no ${type} profile ${profileId}`);
      });
    },

    async addGroup(user, group) {
      const name = validateGroupName(group);
      return change(user, { group_added: name }, (id) => store.addGroup(id, name));
    },

    async removeGroup(user, group) {
      return change(user, { group_removed: group }, async (id) => {
        if (!(await store.removeGroup(id, group.trim()))) throw new FhirkeepError('not-found', `The user is not in the group ${group}`);
      });
    },

    setActivated: (user, activated) => change(user, { activated }, (id) => store.setActivated(id, activated)),
  };
}
