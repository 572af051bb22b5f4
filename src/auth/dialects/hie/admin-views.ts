import type { HieAccount } from '../../../storage/auth/hie-account-store.js';
import type { HieClient } from './hie-client.js';

/** An organization's HIE client as the CLI (--json) and the admin API show it: never its token. */
export function hieClientView(c: HieClient): Record<string, unknown> {
  return { client_id: c.id, organization_id: c.organizationId, created_at: c.createdAt.toISOString(), revoked: c.revokedAt !== undefined };
}

/** What the HIE dialect knows of an account, as the CLI (--json) and the admin API show it. */
export function hieAccountView(a: HieAccount): Record<string, unknown> {
  return {
    id: a.id,
    email: a.email,
    activated: a.activatedAt !== undefined,
    groups: a.groups,
    profiles: a.profiles.map((p) => ({ type: p.type, id: p.id, catchment: p.catchments })),
  };
}
