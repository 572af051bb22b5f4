import type { AccountService } from '../../auth/accounts/account-service.js';
import type { Organization } from '../../auth/accounts/organization.js';
import type { ClientType, RegisteredClient } from '../../auth/clients/client.js';
import type { ClientRegistry } from '../../auth/clients/client-registry.js';
import { storable } from '../../storage/storable.js';

/**
 * What an account holder may consent to, and to whom their consents are given, as any signed-in
 * account may look it up (`/api/directory`, the portal's "My data" pages): names and what each
 * client may see in plain words — what the consent page shows anyone who opens an app's
 * authorization request — never keys, owners or settings.
 */
export interface DirectoryClient {
  readonly id: string;
  readonly name: string;
  readonly type: ClientType;
  readonly revoked: boolean;
  /** What it may see and do, in plain words (describe-access.ts). */
  readonly access: readonly string[];
}

export interface DirectoryOrganization {
  readonly id: string;
  readonly name: string;
  readonly kind: Organization['kind'];
  /** A team's organization. */
  readonly parent?: { readonly id: string; readonly name: string };
}

/** A page of matches; `truncated` when there were more than the limit (search to narrow). */
export interface DirectoryPage<T> {
  readonly entries: readonly T[];
  readonly truncated: boolean;
}

export interface ConsentDirectory {
  /** Services an account holder may subscribe to: `service` clients not revoked, by name (not an institution's own system). */
  services(search?: string): Promise<DirectoryPage<DirectoryClient>>;
  /** Organizations and teams a holder may share with, by name. */
  organizations(search?: string): Promise<DirectoryPage<DirectoryOrganization>>;
  /** Any client, revoked ones too (a holder's history names them); undefined for none. */
  client(id: string): Promise<DirectoryClient | undefined>;
  organization(id: string): Promise<DirectoryOrganization | undefined>;
}

export interface ConsentDirectoryOptions {
  readonly clients: Pick<ClientRegistry, 'list' | 'find'>;
  readonly organizations: Pick<AccountService, 'listOrganizations' | 'findOrganization'>;
  readonly describeAccess: (client: RegisteredClient) => readonly string[];
  /** How many entries a listing answers at most. */
  readonly limit?: number;
}

export function createConsentDirectory({ clients, organizations, describeAccess, limit = 100 }: ConsentDirectoryOptions): ConsentDirectory {
  const entry = (c: RegisteredClient): DirectoryClient => ({ id: c.id, name: c.name, type: c.type, revoked: c.revoked, access: describeAccess(c) });
  const page = <T>(all: readonly T[]): DirectoryPage<T> => ({ entries: all.slice(0, limit), truncated: all.length > limit });
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' });
  const withParents = (all: readonly Organization[]) => {
    const names = new Map(all.map((o) => [o.id, o.name]));
    return all.map(
      (o): DirectoryOrganization => ({
        id: o.id,
        name: o.name,
        kind: o.kind,
        ...(o.parentId === undefined ? {} : { parent: { id: o.parentId, name: names.get(o.parentId) ?? o.parentId } }),
      }),
    );
  };
  return {
    async services(search) {
      // An institution's own system (reach `all`) sees every record already: a subscription would add nothing.
      const matches = (await clients.list()).filter((c) => c.type === 'service' && !c.revoked && c.reach !== 'all' && matching(search, c.name, c.id));
      return page(matches.sort(byName).map(entry));
    },
    async organizations(search) {
      const all = withParents(await organizations.listOrganizations());
      // Each organization followed by its teams.
      const group = (o: DirectoryOrganization) => o.parent ?? o;
      const order = (a: DirectoryOrganization, b: DirectoryOrganization) =>
        byName(group(a), group(b)) || group(a).id.localeCompare(group(b).id) || Number(a.parent !== undefined) - Number(b.parent !== undefined) || byName(a, b);
      return page(all.filter((o) => matching(search, o.name, o.id, o.parent?.name)).sort(order));
    },
    async client(id) {
      const found = await clients.find(id);
      return found === undefined ? undefined : entry(found);
    },
    async organization(id) {
      // The organization store takes ids as they come; PostgreSQL text cannot hold NUL.
      if (!storable(id)) return undefined;
      const found = await organizations.findOrganization(id);
      if (found === undefined) return undefined;
      const parent = found.parentId === undefined ? undefined : await organizations.findOrganization(found.parentId);
      return withParents(parent === undefined ? [found] : [found, parent])[0];
    },
  };
}

/** Whether any of the texts contains the search, ignoring case; no search matches everything. */
function matching(search: string | undefined, ...texts: readonly (string | undefined)[]): boolean {
  const wanted = search?.trim().toLocaleLowerCase('en') ?? '';
  return wanted === '' || texts.some((t) => t?.toLocaleLowerCase('en').includes(wanted) === true);
}
