import type { ClientReach, RegisteredClient } from '../../auth/clients/client.js';
import type { ClientRegistry, ClientScope } from '../../auth/clients/client-registry.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { AccessFilter, WriteMode } from './access-filter.js';
import { describeAccessFilter } from './describe-filter.js';
import { impliedScopes } from './implied-scopes.js';
import { filterAppIds, parseAccessFilter, type FilterContext } from './parse-filter.js';
import { BoundedCache } from '../../bounded-cache.js';
import { readStoredFilter } from './stored-filter.js';

/** What `PUT /api/clients/:id/filter` and `fhirkeep filter set` save. */
export interface AccessFilterSettings {
  /** The expert-mode JSON (docs/access-filters.md); null: no filter (consents and scopes alone bound the app). */
  readonly filter: unknown;
  /** Absent: unchanged. */
  readonly writeMode?: WriteMode;
  /** Admins only (issue 5: "set by an admin"); absent: unchanged. */
  readonly reach?: ClientReach;
  /**
   * Whether a change revokes the users' grants at once (issue 5: "logout all users"); default
   * true. Either way the new version makes every user confirm again: kept signed in, their
   * tokens work but their consents share nothing until they do.
   */
  readonly logoutUsers?: boolean;
}

/** What saving settings would give, without saving them (the portal's editor checks as one types). */
export interface CheckedAccessFilter {
  readonly clientId: string;
  readonly filter: unknown;
  readonly writeMode: WriteMode;
  readonly reach: ClientReach;
  readonly description: readonly string[];
  readonly impliedScopes: readonly string[];
  /** Whether saving would change anything: a new version, which every user must confirm. */
  readonly changed: boolean;
}

/** A client's access settings as the API and the CLI show them. */
export interface AccessFilterView {
  readonly clientId: string;
  /** As saved; null when the client has none. */
  readonly filter: unknown;
  readonly filterVersion: number;
  readonly writeMode: WriteMode;
  readonly reach: ClientReach;
  /** The filter in words (the consent page's lines). */
  readonly description: readonly string[];
  /** The SMART scopes the filter and write mode imply. */
  readonly impliedScopes: readonly string[];
  /** Why a saved filter no longer reads (the taxonomy changed since); absent when it does. */
  readonly problem?: string;
}

export interface SavedAccessFilter extends AccessFilterView {
  /** How many user grants were revoked ("logout all users"); 0 when nothing changed. */
  readonly revokedGrants: number;
}

export interface AccessFilterService {
  /** `not-found` for an unknown client or one outside `scope` (as ClientRegistry). */
  get(clientId: string, scope?: ClientScope): Promise<AccessFilterView>;
  /**
   * Validates and saves: a changed filter, write mode or reach bumps the filter version, so every
   * user must confirm again, and (unless `logoutUsers` is false) revokes every grant of the client
   * that has an account, so their access and refresh tokens stop working at once (issue 5:
   * "logout all users"). Grants of the
   * client itself (client credentials) survive: no user confirms them, and the client's next token
   * is bounded by the new filter. Saving the same settings again changes nothing.
   */
  setAccessFilter(clientId: string, settings: AccessFilterSettings, actor?: string, scope?: ClientScope): Promise<SavedAccessFilter>;
  /** Validates as `setAccessFilter` does (the same errors) and saves nothing. */
  check(clientId: string, settings: AccessFilterSettings, scope?: ClientScope): Promise<CheckedAccessFilter>;
  /** The scopes a client's filter implies, for introspection; undefined without a (readable) filter. */
  filterScopes(client: RegisteredClient): readonly string[] | undefined;
}

const MAX_IMPLIED = 1000;

export function createAccessFilterService(registry: ClientRegistry, context: FilterContext): AccessFilterService {
  const implied = new BoundedCache<string, readonly string[] | undefined>(MAX_IMPLIED);
  const view = (client: RegisteredClient): AccessFilterView => {
    const base = { clientId: client.id, filter: client.accessFilter ?? null, filterVersion: client.filterVersion, writeMode: client.writeMode, reach: client.reach };
    let filter: AccessFilter | undefined;
    try {
      filter = client.accessFilter === undefined ? undefined : parseAccessFilter(client.accessFilter, context);
    } catch (e) {
      if (!(e instanceof FhirkeepError)) throw e;
      return { ...base, description: [], impliedScopes: [], problem: e.message };
    }
    return {
      ...base,
      description: filter === undefined ? [] : describeAccessFilter(filter, context.taxonomy),
      impliedScopes: impliedScopes(filter, client.writeMode, context.taxonomy),
    };
  };

  /** Every check `setAccessFilter` makes before writing: the client in scope, reach, the filter, its app ids. */
  const validate = async (clientId: string, settings: AccessFilterSettings, scope: ClientScope) => {
    const current = await registry.find(clientId, scope);
    if (current === undefined) throw new FhirkeepError('not-found', `There is no client ${clientId}`);
    // An unscoped caller reaches every client: an admin, or the operator's CLI.
    if (settings.reach !== undefined && settings.reach !== current.reach && scope.ownerAccount !== undefined) {
      throw new FhirkeepError('forbidden', 'Only an admin may change the reach of a client');
    }
    const filter = settings.filter === null ? undefined : parseAccessFilter(settings.filter, context);
    // Any registered client may be named (its records are still bounded by consents), not only the caller's.
    const [unknownApp] = filter === undefined ? [] : await registry.unknown(filterAppIds(filter));
    if (unknownApp !== undefined) throw new FhirkeepError('bad-request', `app: there is no client "${unknownApp}"`);
    return { current, filter };
  };

  return {
    async get(clientId, scope) {
      const client = await registry.find(clientId, scope);
      if (client === undefined) throw new FhirkeepError('not-found', `There is no client ${clientId}`);
      return view(client);
    },

    async setAccessFilter(clientId, settings, actor, scope = {}) {
      await validate(clientId, settings, scope);
      const saved = await registry.setAccessSettings(
        clientId,
        // What the caller leaves out stays as the row has it then (an admin's reach change made meanwhile is kept).
        { accessFilter: settings.filter ?? undefined, writeMode: settings.writeMode, reach: settings.reach, logoutUsers: settings.logoutUsers ?? true },
        actor,
        scope,
      );
      return { ...view(saved.client), revokedGrants: saved.revokedGrants.length };
    },

    async check(clientId, settings, scope = {}) {
      const { current, filter } = await validate(clientId, settings, scope);
      const writeMode = settings.writeMode ?? current.writeMode;
      const reach = settings.reach ?? current.reach;
      return {
        clientId,
        filter: settings.filter ?? null,
        writeMode,
        reach,
        description: filter === undefined ? [] : describeAccessFilter(filter, context.taxonomy),
        impliedScopes: impliedScopes(filter, writeMode, context.taxonomy),
        // As the store compares (jsonb equality): key order and spacing are no change.
        changed: !sameJson(settings.filter ?? null, current.accessFilter ?? null) || writeMode !== current.writeMode || reach !== current.reach,
      };
    },

    filterScopes(client) {
      if (client.accessFilter === undefined) return undefined;
      // Asked on every introspection: parsed once per (client, filter version, taxonomy epoch).
      return implied.getOrSet(`${client.id} ${client.filterVersion} ${context.taxonomy.epoch}`, () => {
        const filter = readStoredFilter(client.accessFilter, context);
        // A filter the taxonomy no longer validates lets nothing through (stored-filter.ts): no scopes to report.
        return filter === undefined || filter.blocks.length === 0 ? undefined : impliedScopes(filter, client.writeMode, context.taxonomy);
      });
    },
  };
}

/** A client's access settings as the JSON API and the CLI's `--json` show them (snake_case, as the rest of /api/clients). */
export function accessFilterJson(v: AccessFilterView): Record<string, unknown> {
  return {
    client_id: v.clientId,
    filter: v.filter,
    filter_version: v.filterVersion,
    write_mode: v.writeMode,
    reach: v.reach,
    description: v.description,
    implied_scopes: v.impliedScopes,
    ...(v.problem === undefined ? {} : { problem: v.problem }),
  };
}

/** A check's result as the JSON API shows it. */
export function checkedFilterJson(c: CheckedAccessFilter): Record<string, unknown> {
  return {
    client_id: c.clientId,
    filter: c.filter,
    write_mode: c.writeMode,
    reach: c.reach,
    description: c.description,
    implied_scopes: c.impliedScopes,
    changed: c.changed,
  };
}

/** jsonb equality: objects regardless of key order, arrays in order, numbers by value. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
}
