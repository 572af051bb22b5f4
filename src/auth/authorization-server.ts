import type { Logger } from 'pino';
import type { Database } from '../storage/database.js';
import { createClientStore, createAssertionJtiStore } from '../storage/auth/client-store.js';
import { createGrantStore, type GrantStore } from '../storage/auth/grant-store.js';
import { createRevocationFeed } from '../storage/auth/revocation-feed.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import { createServiceKeyStore } from '../storage/auth/service-key-store.js';
import { createServiceManagerStore } from '../storage/auth/service-manager-store.js';
import { createSigningKeyStore } from '../storage/auth/signing-key-store.js';
import { createAccountService, type AccountService } from './accounts/account-service.js';
import { createClientAuthenticator, type AuthenticateClient } from './clients/client-authentication.js';
import { createClientRegistry, type ClientRegistry } from './clients/client-registry.js';
import { createJwksCache } from './clients/jwks-cache.js';
import { createGrantService, type GrantService } from './grants/grant-service.js';
import { createKeyService, type CertificateSigner, type KeyService } from './keys/key-service.js';
import type { ScopeRules, TokenEndpointDependencies } from './oauth/token-endpoint.js';
import { createSessionService, type SessionService } from './sessions/session-service.js';
import { createAuthorizationRequestStore, type AuthorizationRequestStore } from '../storage/auth/authorization-request-store.js';
import { createSessionStore } from '../storage/auth/session-store.js';
import { narrowScopes } from './smart/scope-covering.js';
import { formatScope, parseScopeString } from './smart/scopes.js';
import type { AuthServerUrls } from './smart/discovery.js';
import { createAccessTokens, type AccessTokens } from './tokens/access-token.js';
import { createIdTokens, type IdTokens } from './tokens/id-token.js';
import { openKeyRing, type KeyRing } from './tokens/key-ring.js';
import { openRevocationView, type RevocationView } from './tokens/revocation-view.js';
import type { RecordSecurityEvent } from './security-events.js';
import { createAccessFilterService, type AccessFilterService } from '../access/filter/filter-service.js';
import type { FilterContext } from '../access/filter/parse-filter.js';
import { createKeyAuthenticator, type KeyAuthenticator } from './keys/key-authentication.js';
import { trackKeyUsage } from './keys/key-usage.js';

/** Everything the authorization server is made of, opened once per node by the composition root. */
export interface AuthServices {
  readonly accounts: AccountService;
  readonly clients: ClientRegistry;
  /** Applications' access filters, write modes and reach (issue 5). */
  readonly accessFilters: AccessFilterService;
  readonly authenticateClient: AuthenticateClient;
  readonly grantStore: GrantStore;
  readonly grants: GrantService;
  readonly keys: KeyRing;
  readonly accessTokens: AccessTokens;
  readonly idTokens: IdTokens;
  readonly revocations: RevocationView;
  readonly scopes: ScopeRules;
  readonly record: RecordSecurityEvent;
  /** Services' API keys and who manages them (docs/service-keys.md). */
  readonly serviceKeys: KeyService;
  /** Static keys and client certificates, as request credentials. */
  readonly keyAuthentication: KeyAuthenticator;
  /** What the token, introspection and revocation endpoints work with. */
  readonly tokenEndpoint: TokenEndpointDependencies;
  /** Browser sign-in sessions (the authorization pages, the portal and its JSON API). */
  readonly sessions: SessionService;
  /** Pending /oauth2/authorize requests between their pages. */
  readonly authorizationRequests: AuthorizationRequestStore;
  /** Writes when this node's API keys were last used (shutdown, and tests that read it). */
  flushKeyUsage(): Promise<void>;
  close(): Promise<void>;
}

/** How often a node writes when its API keys were last used. */
const KEY_USAGE_FLUSH_MS = 10_000;

/** Row cache of registered clients; every node drops a changed row at once (NOTIFY), this bounds a missed one. */
const CLIENT_CACHE_MS = 5_000;

/** The SMART scope grammar as the token endpoint uses it: parsed, checked and written back in one canonical form. */
export const SMART_SCOPE_RULES: ScopeRules = {
  parse: (text) => parseScopeString(text).map(formatScope),
  narrow: narrowScopes,
};

export interface AuthServiceOptions {
  /** Seals the token-signing keys in the database. */
  readonly keyEncryptionKey: Buffer;
  /** What access filters are checked against: the content taxonomy and the R4 types. */
  readonly filterContext: FilterContext;
  /** Fhirkeep's CA, opened on first use (signing a CSR, the mTLS listener). */
  readonly certificateAuthority: () => Promise<CertificateSigner>;
  /** The clock key expiry is checked against (tests move it). */
  readonly now?: () => number;
  /** Rate limits (docs/limits.md): per client at the token endpoints, per address at sign-in. */
  readonly rateLimits?: {
    readonly perClient: ((clientId: string) => void | Promise<void>) | undefined;
    readonly loginPerIp: ((ip: string) => void | Promise<void>) | undefined;
  };
  /** Where security events go (the server's audit trail); default: each inserted on its own. */
  readonly record?: RecordSecurityEvent;
}

export async function openAuthServices(db: Database, logger: Logger, urls: () => AuthServerUrls, options: AuthServiceOptions): Promise<AuthServices> {
  const record = options.record ?? securityEventRecorder(db.sql, logger);
  const keys = await openKeyRing({ store: createSigningKeyStore(db.sql), keyEncryptionKey: options.keyEncryptionKey, logger });
  const revocations = await openRevocationView(createRevocationFeed(db.sql), logger);
  // Revocations made on this node take effect here at once; other nodes learn them by NOTIFY.
  const accountService = createAccountService({ db, record, admitLogin: options.rateLimits?.loginPerIp });
  const accounts: AccountService = {
    ...accountService,
    async disable(id) {
      const account = await accountService.disable(id);
      revocations.markRevoked('account', id);
      return account;
    },
  };
  const registry = await createClientRegistry({ store: createClientStore(db.sql), recordEvent: record, cacheTtlMs: CLIENT_CACHE_MS });
  const clients: ClientRegistry = {
    ...registry,
    async revoke(id, actor, scope) {
      const client = await registry.revoke(id, actor, scope);
      revocations.markRevoked('client', id);
      return client;
    },
    async setAccessSettings(id, settings, actor, scope) {
      const saved = await registry.setAccessSettings(id, settings, actor, scope);
      for (const grant of saved.revokedGrants) revocations.markRevoked('grant', grant);
      return saved;
    },
  };
  const accessFilters = createAccessFilterService(clients, options.filterContext);
  const authenticateClient = createClientAuthenticator({
    lookup: (id) => clients.lookup(id),
    jtis: createAssertionJtiStore(db.sql),
    jwksCache: createJwksCache(),
    onBackgroundError: (err) => logger.warn({ err }, 'could not purge expired client assertion ids'),
    admitClient: options.rateLimits?.perClient,
  });
  const stored = createGrantStore(db.sql);
  const grantStore: GrantStore = {
    ...stored,
    async revokeGrant(grant) {
      await stored.revokeGrant(grant);
      revocations.markRevoked('grant', grant.id);
    },
    async revokeGrantsOf(accountId, clientId) {
      const revoked = await stored.revokeGrantsOf(accountId, clientId);
      for (const id of revoked) revocations.markRevoked('grant', id);
      return revoked;
    },
  };
  const accessTokens = createAccessTokens({ issuer: () => urls().issuer, audience: () => urls().fhirBase, keys, revocations });
  const idTokens = createIdTokens({ issuer: () => urls().issuer, keys });
  const findAccount = (id: string) => accounts.find(id);
  const keyStore = createServiceKeyStore(db.sql);
  const clientOf = async (id: string) => (await clients.lookup(id))?.client;
  const serviceKeys = createKeyService({
    keys: keyStore,
    managers: createServiceManagerStore(db.sql),
    client: clientOf,
    ca: options.certificateAuthority,
    record,
    markRevoked: (kind, id) => revocations.markRevoked(kind, id),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const keyUsage = trackKeyUsage({ store: keyStore, logger, flushMs: KEY_USAGE_FLUSH_MS, now: options.now ?? Date.now });
  const keyAuthentication = createKeyAuthenticator({ store: keyStore, revocations, used: keyUsage.used, ...(options.now === undefined ? {} : { now: options.now }) });
  return {
    accounts,
    clients,
    accessFilters,
    authenticateClient,
    grantStore,
    grants: createGrantService(grantStore),
    keys,
    accessTokens,
    idTokens,
    revocations,
    scopes: SMART_SCOPE_RULES,
    record,
    serviceKeys,
    keyAuthentication,
    tokenEndpoint: {
      authenticateClient,
      grants: grantStore,
      accessTokens,
      idTokens,
      scopes: SMART_SCOPE_RULES,
      findAccount,
      record,
      assertionAudiences: () => [urls().token, urls().issuer],
      fhirBase: () => urls().fhirBase,
      filterScopes: (client) => accessFilters.filterScopes(client),
      keyRefresh: {
        store: keyStore,
        keys: serviceKeys,
        client: clientOf,
        markRevoked: (grant) => revocations.markRevoked('grant', grant),
        ...(options.now === undefined ? {} : { now: options.now }),
      },
      keyAuthentication,
    },
    sessions: createSessionService({ store: createSessionStore(db.sql), accounts, secure: () => urls().issuer.startsWith('https:') }),
    authorizationRequests: createAuthorizationRequestStore(db.sql),
    flushKeyUsage: keyUsage.flush,
    async close() {
      await keys.close();
      await keyUsage.close();
      await revocations.close();
      await clients.close();
    },
  };
}
