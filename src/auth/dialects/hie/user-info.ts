import type { HieAccount } from '../../../storage/auth/hie-account-store.js';

/** The token-info answer (docs/hie.md): the user, in the field names the partner's clients read. */
export interface HieUserInfo {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly is_active: boolean;
  readonly activated: boolean;
  readonly activated_at: string | null;
  readonly last_login: string | null;
  readonly access_token: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** Fhirkeep deletes no account softly: a disabled one is `is_active: false`. */
  readonly deleted_at: null;
  readonly groups: readonly string[];
  readonly profiles: readonly { readonly type: string; readonly id: string; readonly catchment: readonly string[] }[];
}

export function userInfo(account: HieAccount, accessToken: string): HieUserInfo {
  return {
    id: account.id,
    // Partners show a name; an account without a display name is known by its email.
    name: account.displayName ?? account.email,
    email: account.email,
    is_active: !account.disabled,
    activated: account.activatedAt !== undefined,
    activated_at: account.activatedAt?.toISOString() ?? null,
    last_login: account.lastLoginAt?.toISOString() ?? null,
    access_token: accessToken,
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
    deleted_at: null,
    groups: account.groups,
    profiles: account.profiles.map((p) => ({ type: p.type, id: p.id, catchment: p.catchments })),
  };
}
