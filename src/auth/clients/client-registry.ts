import type { JSONWebKeySet } from 'jose';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ClientAccessSettings, ClientStore, EditableClientFields, StoredClient } from '../../storage/auth/client-store.js';
import type { RecordSecurityEvent } from '../security-events.js';
import { validateJwks } from './assertion-keys.js';
import { CLIENT_TYPES, type ClientType, type RegisteredClient } from './client.js';
import { newClientId, newClientSecret } from './client-secrets.js';

/** What registering an application takes (the CLI's `client create` and `POST /api/clients`). */
export interface ClientRegistration {
  readonly type: ClientType;
  readonly name: string;
  readonly redirectUris?: readonly string[];
  /** A browser or native app that cannot keep a secret (RFC 6749 §2.1). */
  readonly isPublic?: boolean;
  /** Inline public keys for private_key_jwt (a JWK Set); exclusive with `jwksUri`. */
  readonly jwks?: unknown;
  readonly jwksUri?: string;
  readonly scopes?: readonly string[];
  /** Default true; only confidential clients may opt out. */
  readonly requirePkce?: boolean;
  readonly launchUri?: string;
  readonly ownerAccount?: string;
}

/** A partial edit; `null` removes an optional value. */
export interface ClientChanges {
  readonly name?: string;
  readonly redirectUris?: readonly string[];
  readonly scopes?: readonly string[];
  readonly jwks?: unknown;
  readonly jwksUri?: string | null;
  readonly launchUri?: string | null;
}

/** Which clients a caller may reach: a developer only their own (`ownerAccount`); absent: every client. */
export interface ClientScope {
  readonly ownerAccount?: string | undefined;
}

export interface ClientRegistry {
  /** Registers a client; `secret` is set for secret-based clients and is never retrievable again. */
  register(registration: ClientRegistration, actor?: string): Promise<{ client: RegisteredClient; secret: string | undefined }>;
  /** Undefined for an unknown client, and for one outside `scope` (answered as missing, so ids cannot be probed). */
  find(id: string, scope?: ClientScope): Promise<RegisteredClient | undefined>;
  /** Which of these ids no client has (any owner's), in one query. */
  unknown(ids: readonly string[]): Promise<string[]>;
  list(filter?: ClientScope): Promise<RegisteredClient[]>;
  /** `not-found` for an unknown client or one outside `scope`, as for `revoke` and `rotateSecret`. */
  update(id: string, changes: ClientChanges, actor?: string, scope?: ClientScope): Promise<RegisteredClient>;
  /** Revokes at once, on every node (see `lookup`); revoking twice is harmless. */
  revoke(id: string, actor?: string, scope?: ClientScope): Promise<RegisteredClient>;
  /** A new secret replaces the old one immediately (the old one stops working). */
  rotateSecret(id: string, actor?: string, scope?: ClientScope): Promise<{ client: RegisteredClient; secret: string }>;
  /**
   * Stores access settings already validated (src/access/filter/filter-service.ts does that):
   * bumps the filter version and revokes the client's user grants (unless `logoutUsers` is
   * false), whose ids it resolves to (empty, and no bump, when nothing changed). `not-found` as
   * for `update`.
   */
  setAccessSettings(id: string, settings: ClientAccessSettings, actor?: string, scope?: ClientScope): Promise<{ client: RegisteredClient; revokedGrants: string[] }>;
  /** The client with its secret's hash, for client authentication; cached briefly when enabled. */
  lookup(id: string): Promise<StoredClient | undefined>;
  /**
   * Calls `listener` with a client's id whenever it changes, here or on another node (undefined:
   * any may have changed); needs `cacheTtlMs`, which makes the registry listen. Returns the unsubscriber.
   */
  onChange(listener: (id: string | undefined) => void): () => void;
  /** Stops listening for changes. */
  close(): Promise<void>;
}

export interface ClientRegistryOptions {
  readonly store: ClientStore;
  readonly recordEvent: RecordSecurityEvent;
  /**
   * How long `lookup` may reuse a client row (ms); 0 (the default) reads it every time. When set,
   * the registry LISTENs for client changes, so a revocation, rotation or edit made by any process
   * (another node, the CLI) evicts the row here within milliseconds; the TTL only bounds staleness
   * if that notification is lost while the listening connection reconnects.
   */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

const MAX_NAME = 200;
const MAX_REDIRECT_URIS = 20;
const MAX_SCOPES = 200;
/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** RFC 8252 §7.3: loopback redirects may use plain http (the traffic never leaves the machine). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export async function createClientRegistry(options: ClientRegistryOptions): Promise<ClientRegistry> {
  const { store, recordEvent } = options;
  const ttl = options.cacheTtlMs ?? 0;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { readonly stored: StoredClient; readonly until: number }>();
  const listeners = new Set<(id: string | undefined) => void>();
  // Counts evictions: a row read while one arrived may predate that change, so it is not kept.
  let evictions = 0;
  // undefined: the listening connection (re)connected, and any change may have been missed.
  const evict = (id: string | undefined) => {
    evictions++;
    if (id === undefined) cache.clear();
    else cache.delete(id);
    for (const listener of listeners) listener(id);
  };
  const stopWatching = ttl > 0 ? await store.watch(evict) : undefined;

  const find = async (id: string, scope: ClientScope = {}): Promise<RegisteredClient | undefined> => {
    const found = (await store.find(id))?.client;
    return found === undefined || (scope.ownerAccount !== undefined && found.ownerAccount !== scope.ownerAccount) ? undefined : found;
  };
  const existing = async (id: string, scope: ClientScope | undefined): Promise<RegisteredClient> => {
    const found = await find(id, scope);
    if (found === undefined) throw new FhirkeepError('not-found', `There is no client ${id}`);
    return found;
  };
  // This process does not wait for its own NOTIFY to stop using a row it just changed.
  const changed = (client: RegisteredClient | undefined, id: string): RegisteredClient => {
    evict(id);
    if (client === undefined) throw new FhirkeepError('not-found', `There is no client ${id}`);
    return client;
  };

  return {
    async register(r, actor) {
      if (!(CLIENT_TYPES as readonly string[]).includes(r.type)) throw invalid(`type must be one of ${CLIENT_TYPES.join(', ')}`);
      const isPublic = r.isPublic ?? false;
      const requirePkce = r.requirePkce ?? true;
      if (isPublic && r.type !== 'smart') throw invalid(`a ${r.type} client authenticates itself, so it cannot be public`);
      // RFC 9700 §2.1.1: public clients MUST use PKCE, their only proof that a code is theirs.
      if (isPublic && !requirePkce) throw invalid('a public client must use PKCE');
      const fields = await validateFields(r.type, isPublic ? 'public' : r.jwks !== undefined || r.jwksUri !== undefined ? 'keys' : 'secret', {
        name: r.name,
        redirectUris: r.redirectUris ?? [],
        scopes: r.scopes ?? [],
        jwks: r.jwks,
        jwksUri: r.jwksUri,
        launchUri: r.launchUri,
      });
      const issued = isPublic || fields.jwks !== undefined || fields.jwksUri !== undefined ? undefined : newClientSecret();
      const client = await store.insert({
        ...fields,
        id: newClientId(),
        type: r.type,
        isPublic,
        secretHash: issued?.hash,
        requirePkce,
        ownerAccount: r.ownerAccount,
      });
      recordEvent({ kind: 'client-create', outcome: 'success', clientId: client.id, accountId: actor, detail: { type: client.type, name: client.name } });
      return { client, secret: issued?.secret };
    },

    find,

    unknown: (ids) => store.unknown(ids),

    list: (filter) => store.list(filter),

    async update(id, changes, actor, scope) {
      const current = await existing(id, scope);
      const fields = await validateFields(current.type, credentialKind(current), {
        name: changes.name ?? current.name,
        redirectUris: changes.redirectUris ?? current.redirectUris,
        scopes: changes.scopes ?? current.scopes,
        jwks: changes.jwks === undefined ? current.jwks : (changes.jwks ?? undefined),
        jwksUri: changes.jwksUri === undefined ? current.jwksUri : (changes.jwksUri ?? undefined),
        launchUri: changes.launchUri === undefined ? current.launchUri : (changes.launchUri ?? undefined),
      });
      const client = changed(await store.update(id, fields), id);
      recordEvent({ kind: 'client-update', outcome: 'success', clientId: id, accountId: actor, detail: { fields: Object.keys(changes) } });
      return client;
    },

    async revoke(id, actor, scope) {
      const before = await existing(id, scope);
      const client = changed(await store.revoke(id), id);
      if (!before.revoked) recordEvent({ kind: 'client-revoke', outcome: 'success', clientId: id, accountId: actor });
      return client;
    },

    async rotateSecret(id, actor, scope) {
      const current = await existing(id, scope);
      if (current.revoked) throw invalid(`client ${id} is revoked`);
      if (credentialKind(current) !== 'secret') throw invalid(`client ${id} has no secret: it ${current.isPublic ? 'is public' : 'authenticates with its keys (private_key_jwt)'}`);
      const issued = newClientSecret();
      const client = changed(await store.replaceSecretHash(id, issued.hash), id);
      recordEvent({ kind: 'client-secret-rotate', outcome: 'success', clientId: id, accountId: actor });
      return { client, secret: issued.secret };
    },

    async setAccessSettings(id, settings, actor, scope) {
      const current = await existing(id, scope);
      const saved = await store.setAccessSettings(id, settings);
      if (saved === undefined) return { client: current, revokedGrants: [] };
      const client = changed(saved.client, id);
      recordEvent({
        kind: 'client-filter-change',
        outcome: 'success',
        clientId: id,
        accountId: actor,
        detail: { filterVersion: client.filterVersion, writeMode: client.writeMode, reach: client.reach, revokedGrants: saved.revokedGrants.length },
      });
      return saved;
    },

    async lookup(id) {
      if (ttl === 0) return store.find(id);
      const hit = cache.get(id);
      if (hit !== undefined && hit.until > now()) return hit.stored;
      const before = evictions;
      const stored = await store.find(id);
      // Unknown ids are not cached: a client registered a moment ago must work at once.
      if (stored === undefined) cache.delete(id);
      // A change that arrived during the read is newer than the row: serve it once, keep nothing.
      else if (evictions === before) cache.set(id, { stored, until: now() + ttl });
      return stored;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      cache.clear();
      listeners.clear();
      await stopWatching?.();
    },
  };
}

/** How a client proves who it is; fixed at registration (changing it means a new client). */
type CredentialKind = 'public' | 'secret' | 'keys';

function credentialKind(client: RegisteredClient): CredentialKind {
  if (client.isPublic) return 'public';
  return client.hasSecret ? 'secret' : 'keys';
}

interface UncheckedFields {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly jwks: unknown;
  readonly jwksUri: string | undefined;
  readonly launchUri: string | undefined;
}

async function validateFields(type: ClientType, kind: CredentialKind, f: UncheckedFields): Promise<EditableClientFields> {
  const name = typeof f.name === 'string' ? f.name.trim() : '';
  if (name === '' || name.length > MAX_NAME) throw invalid(`name must be 1 to ${MAX_NAME} characters`);

  const redirectUris = [...new Set(f.redirectUris)];
  if (redirectUris.length > MAX_REDIRECT_URIS) throw invalid(`at most ${MAX_REDIRECT_URIS} redirect URIs`);
  for (const uri of redirectUris) checkUri(uri, 'redirect URI');
  // SMART App Launch: apps are sent back to a registered redirect_uri; without one no launch can finish.
  if (type === 'smart' && redirectUris.length === 0) throw invalid('a smart client needs at least one redirect URI');

  const scopes = [...new Set(f.scopes)];
  if (scopes.length > MAX_SCOPES) throw invalid(`at most ${MAX_SCOPES} scopes`);
  const badScope = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (badScope !== undefined) throw invalid(`${JSON.stringify(badScope)} is not a scope (RFC 6749 §3.3: printable ASCII, no spaces, quotes or backslashes)`);

  if (f.launchUri !== undefined) {
    if (type !== 'smart') throw invalid('only a smart client has a launch URI');
    checkUri(f.launchUri, 'launch URI');
  }

  let jwks: JSONWebKeySet | undefined;
  if (f.jwks !== undefined || f.jwksUri !== undefined) {
    if (kind === 'public') throw invalid('a public client has no keys: register it as confidential to use private_key_jwt');
    if (kind === 'secret') throw invalid('this client authenticates with its secret; register a new client to use private_key_jwt');
    // RFC 7591 §2: "The jwks_uri and jwks parameters MUST NOT both be present".
    if (f.jwks !== undefined && f.jwksUri !== undefined) throw invalid('give either a JWK Set or a JWK Set URL, not both');
    if (f.jwks !== undefined) jwks = await validateJwks(f.jwks);
    if (f.jwksUri !== undefined) checkUri(f.jwksUri, 'JWK Set URL');
  } else if (kind === 'keys') {
    throw invalid('a client authenticating with private_key_jwt needs its JWK Set or JWK Set URL');
  }
  return { name, redirectUris, scopes, jwks, jwksUri: f.jwksUri, launchUri: f.launchUri };
}

/** An absolute https URL (or http on the loopback interface), with no credentials and no fragment. */
function checkUri(uri: string, what: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(`${what} ${JSON.stringify(uri)} is not an absolute URL`);
  }
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component" ('#' alone included).
  if (uri.includes('#')) throw invalid(`${what} ${uri} must not have a fragment`);
  // RFC 6749 §3.1.2.1 (TLS for redirects); RFC 8252 §7.3 allows http on the loopback interface.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw invalid(`${what} ${uri} must use https (http only for localhost or 127.0.0.1)`);
  }
  if (url.username !== '' || url.password !== '') throw invalid(`${what} ${uri} must not contain credentials`);
}

function invalid(message: string): FhirkeepError {
  return new FhirkeepError('bad-request', message);
}
