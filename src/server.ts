import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { pino, type Logger } from 'pino';
import { createClassifier } from './access/content/classify.js';
import { seedTaxonomy } from './access/content/seed-taxonomy.js';
import { createTaxonomyAdmin } from './access/content/taxonomy-admin.js';
import { openTaxonomy, type LiveTaxonomy } from './access/content/taxonomy-store.js';
import { createScopeResolver } from './access/request-scope.js';
import { hieScope } from './access/hie-scope.js';
import { publicReads } from './access/public-reads.js';
import { createHieService, type HieService } from './auth/dialects/hie/hie-service.js';
import { registerHieRoutes } from './http/hie-routes.js';
import { registerHieApiRoutes } from './http/hie-api-routes.js';
import { appConsents } from './access/consents/app-consents.js';
import { createConsentService, type ConsentService } from './access/consents/consent-service.js';
import type { SmartDefinitions } from './access/smart-access.js';
import { credentialScope, type ScopeSubject } from './access/token-scope.js';
import { principalScope } from './access/principal-scope.js';
import type { RegisteredClient } from './auth/clients/client.js';
import { registerBulkRoutes } from './http/bulk-routes.js';
import { registerPortalRoutes } from './http/portal-routes.js';
import { appsPages } from './portal/pages/apps/index.js';
import { filterPages } from './portal/pages/filter/filter-pages.js';
import { homePages } from './portal/pages/home.js';
import { signInPages } from './portal/pages/sign-in.js';
import { adminPages } from './portal/pages/admin/index.js';
import { accountAreaPages } from './portal/pages/account/index.js';
import { registerOwnAccountApiRoutes } from './http/own-account-api-routes.js';
import { registerAccessLogApiRoutes } from './http/access-log-api-routes.js';
import { createAccessLog } from './audit/access-log.js';
import { appDebuggerPages } from './portal/pages/apps/app-debugger.js';
import { appStatisticsPages } from './portal/pages/apps/app-statistics.js';
import { createClientStatistics } from './audit/client-statistics.js';
import { DEFAULT_STATISTICS_LIMITS, startRequestStatistics, type RequestStatistics } from './audit/request-statistics.js';
import { createStatisticsStore } from './storage/audit/statistics-store.js';
import { createDebugRequests } from './http/debug-requests.js';
import { registerStatisticsApiRoutes } from './http/statistics-api-routes.js';
import { registerStatisticsHooks } from './http/statistics-hooks.js';
import { registerMetricsHooks } from './http/metrics-hooks.js';
import { registerMetricsRoutes } from './http/metrics-routes.js';
import { createNodeMetrics } from './observability/node-metrics.js';
import { parseOrganizationRef } from './access/organization-ref.js';
import type { CertificateAuthority } from './auth/mtls/certificate-authority.js';
import { lazyCertificateAuthority } from './auth/mtls/lazy-authority.js';
import { createBrokerStore } from './storage/access/broker-store.js';
import { createStudyStore } from './storage/access/study-store.js';
import { createStudyGrants, type StudyGrants } from './access/studies/study-grants.js';
import { listenMtls, type MtlsListener } from './http/mtls-listener.js';
import { createApplicationRules } from './access/application-rules.js';
import { readStoredFilter } from './access/filter/stored-filter.js';
import type { AdminBootstrap } from './auth/accounts/bootstrap-admin.js';
import { openAuthServices, type AuthServices } from './auth/authorization-server.js';
import { authServerUrls } from './auth/smart/discovery.js';
import { keyEncryptionKey } from './auth/tokens/key-encryption.js';
import { patientDirectory } from './access/patient-directory.js';
import { registerAuthorizeRoutes } from './http/authorize-routes.js';
import { registerClientApiRoutes } from './http/client-api-routes.js';
import { registerConsentApiRoutes } from './http/consent-api-routes.js';
import { registerDirectoryApiRoutes } from './http/directory-api-routes.js';
import { createConsentDirectory } from './access/consents/consent-directory.js';
import { consentCallerOf } from './access/consents/consent-permissions.js';
import { describeClientAccess } from './access/filter/describe-access.js';
import { myDataPages } from './portal/pages/my-data/index.js';
import { registerContentApiRoutes } from './http/content-api-routes.js';
import { registerAccountApiRoutes } from './http/account-api-routes.js';
import { registerKeyApiRoutes } from './http/key-api-routes.js';
import { registerStudyApiRoutes } from './http/study-api-routes.js';
import { registerCors } from './http/cors.js';
import { registerSecureHeaders } from './http/secure-headers.js';
import { memoryBuckets } from './http/rate-limit/memory-buckets.js';
import { leasedBuckets } from './http/rate-limit/leased-buckets.js';
import { createRateLimits, limitedPerClient } from './http/rate-limit/rate-limits.js';
import { registerRateLimitHooks } from './http/rate-limit/rate-limit-hooks.js';
import { createSharedBuckets } from './storage/rate-limit/shared-buckets.js';
import { FhirkeepError } from './errors/fhirkeep-error.js';
import { registerOAuthRoutes } from './http/oauth-routes.js';
import type { FhirkeepConfig } from './config/schema.js';
import { isStoredType } from './fhir/audit-trail-type.js';
import { buildCapabilityStatement } from './fhir/capability-statement.js';
import { loadDefinitions } from './fhir/definitions.js';
import { preloadValidators, validateResource } from './fhir/validator.js';
import { createHttpApp } from './http/fastify-app.js';
import { registerFhirRoutes } from './http/fhir-routes.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { registerDraining } from './http/draining.js';
import { closeWithin } from './http/close-listeners.js';
import { auditEventCapability } from './rest/audit-events.js';
import { FhirRouter, SYSTEM_INTERACTIONS, SYSTEM_OPERATIONS, TYPE_INTERACTIONS, TYPE_OPERATIONS } from './rest/router.js';
import type { RestContext } from './rest/rest-context.js';
import { openDatabase, type Database } from './storage/database.js';
import { createIndexer, INDEXER_VERSION } from './search/index/indexer.js';
import { advertisedSearch } from './search/params/advertised.js';
import { r4ParamRegistry } from './search/params/param-registry.js';
import { compartmentQuery } from './search/query/compartment-query.js';
import { parseSearch } from './search/query/parse-search.js';
import { SEARCH_LIMIT_DEFAULTS, type SearchLimits } from './search/query/search-limits.js';
import { reindexIfStale } from './storage/reindex.js';
import { createConsentStore } from './storage/access/consent-store.js';
import { createResourceStore } from './storage/resource-store.js';
import { SOFTWARE_VERSION } from './version.js';
import { demoWanted, loadDemo, type LoadedDemo } from './demo/load-demo.js';
import { createBulkExport, type BulkExportService } from './bulk/export-service.js';
import { exportFiles } from './bulk/export-files.js';
import { startExportWorker, type ExportWorker } from './bulk/export-worker.js';
import { createExportJobStore, type ExportJobStore } from './storage/bulk/export-job-store.js';
import { typeFilterClauses } from './rest/operations/export.js';
import type { Principal } from './access/principal.js';
import { startAuditTrail, type AuditTrail } from './audit/audit-trail.js';
import { auditSecurityEvents } from './audit/security-audit.js';
import { insertAuditEvents } from './storage/audit/audit-event-store.js';
import type { AccessScope } from './access/scope.js';
import { auditReachOf } from './access/audit-access.js';
import { createAuditEventStore } from './storage/audit/audit-event-query.js';
import { createAccountStore } from './storage/auth/account-store.js';

/** Everything that answers FHIR requests, without a network listener (the CLI's import uses it alone). */
export interface FhirCore {
  readonly config: FhirkeepConfig;
  readonly logger: Logger;
  readonly router: FhirRouter;
  /** The database, for the services the composition root opens on it (only storage/ code runs SQL). */
  readonly database: Database;
  /** The content taxonomy records are classified by, kept current on this node. */
  readonly taxonomy: LiveTaxonomy;
  /** What SMART scopes compile against: the types, the Patient compartment, the search parser. */
  readonly smartDefinitions: SmartDefinitions;
  /** Bulk Data export: status, cancel and files (kick-off goes through the router). */
  readonly bulkExport: BulkExportService;
  /** Bulk export jobs by status, across all nodes (metrics). */
  readonly exportJobCounts: ExportJobStore['countByStatus'];
  /** This node's audit trail (docs/audit.md): FHIR requests, exports and security events. */
  readonly audit: AuditTrail;
  /**
   * Starts this node's export worker (none with FHIRKEEP_EXPORT_WORKERS=0), running each job in
   * the scope `scopeOf` compiles for its requester when it runs.
   */
  startExports(scopeOf: (principal: Principal) => Promise<AccessScope>): ExportWorker | undefined;
  /** Resolves when the database answers (readiness). */
  ping(): Promise<void>;
  /** Writes the audit rows still queued, then closes the pool and, if owned, the embedded database. */
  close(): Promise<void>;
}

/** Most audit rows in one insert. */
const AUDIT_BATCH_SIZE = 500;

export interface Fhirkeep extends FhirCore {
  readonly auth: AuthServices;
  /** Whose data flows to whom (docs/consents.md). */
  readonly consents: ConsentService;
  /** The research studies each research partner may query (docs/research.md). */
  readonly studies: StudyGrants;
  /** The HIE login dialect (docs/hie.md). */
  readonly hie: HieService;
  /** What the first start did about the admin account (serve prints a generated password once). */
  readonly adminBootstrap: AdminBootstrap;
  /** This node's per-application request statistics (flush: write what it counted so far). */
  readonly statistics: RequestStatistics;
  /** Binds the listener; resolves to the public base URL (e.g. http://localhost:8080). */
  listen(): Promise<string>;
  /**
   * The mTLS listener's public base URL (FHIRKEEP_MTLS_BASE_URL, or https://<host of the base
   * URL>:<bound port>), known once listen() has bound it; undefined without FHIRKEEP_MTLS_PORT.
   */
  mtlsUrl(): string | undefined;
  /**
   * What the demo made, once listen() has loaded it into a fresh embedded database (serve prints
   * its secrets once); undefined otherwise (docs: README, "Try the demo").
   */
  demo(): LoadedDemo | undefined;
  /** Stops accepting requests, drains, closes the pool and, if owned, the embedded database. */
  close(): Promise<void>;
}

export interface FhirkeepOptions {
  /** A logger to use instead of a new pino logger (tests pass a silent one). */
  readonly logger?: Logger;
  /** `share` for CLI commands: use the embedded cluster a running server owns. */
  readonly clusterMode?: 'own' | 'share';
  /** The clock API keys and certificates are issued and checked by (tests move it; default Date.now). */
  readonly clock?: () => number;
}

/**
 * The FHIR core: database, definitions, validators and router. `publicBase` gives the public
 * base URL (links, Location headers); it may become known only once a listener is bound.
 */
export async function createFhirCore(
  config: FhirkeepConfig,
  options: FhirkeepOptions & { readonly publicBase: () => string },
): Promise<FhirCore> {
  const logger =
    options.logger ??
    pino({
      level: config.logLevel,
      // Credentials never reach the log (docs/observability.md).
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-auth-token"]'],
    });
  const db = await openDatabase(config, logger, { clusterMode: options.clusterMode ?? 'own' });
  const definitions = loadDefinitions();
  const params = r4ParamRegistry();
  const indexer = createIndexer(params);
  if (await seedTaxonomy(db.sql, definitions.resourceTypes)) logger.info('seeded the content taxonomy');
  const taxonomy = await openTaxonomy(db.sql, logger);
  const classify = createClassifier(taxonomy, { autoRegister: config.contentAutoRegister });
  try {
    await reindexIfStale(db, indexer, INDEXER_VERSION, logger, classify);
  } catch (e) {
    // Nothing else holds them yet: the LISTEN connection and the pool (and an embedded cluster).
    await taxonomy.close();
    await db.close();
    throw e;
  }
  const advertised = advertisedSearch(params, definitions);
  const searchLimits: SearchLimits = {
    maxIncluded: SEARCH_LIMIT_DEFAULTS.maxIncluded,
    defaultCount: config.defaultCount,
    maxCount: config.maxCount,
    maxChainDepth: config.maxChainDepth,
    maxClauses: config.maxSearchClauses,
    maxOrValues: config.maxOrValues,
    maxIncludes: config.maxIncludes,
  };
  preloadValidators();
  const startedAt = new Date();
  const compartmentTypes = new Set(Object.keys(definitions.patientCompartment));
  const exportJobs = createExportJobStore(db.sql);
  const files = exportFiles(config.dataDir);
  let nudgeExports: (() => void) | undefined;
  const bulkExport = createBulkExport({
    jobs: exportJobs,
    files,
    fhirBase: () => `${options.publicBase()}/fhir`,
    pollSeconds: config.export.pollSeconds,
    maxActivePerClient: config.export.maxPerClient,
    nudge: () => nudgeExports?.(),
  });
  // The core has no auth services (import runs without them): the audit trail's reach asks the accounts table itself.
  const accountStore = createAccountStore(db.sql);
  const audit = startAuditTrail({
    write: (rows) => insertAuditEvents(db.sql, rows),
    logger,
    capacity: config.audit.queueSize,
    batchSize: Math.min(AUDIT_BATCH_SIZE, config.audit.queueSize),
    flushMs: config.audit.flushMs,
  });
  let capability: { base: string; text: string } | undefined;
  const ctx: RestContext = {
    store: createResourceStore(db, indexer, classify),
    fhirBase: () => `${options.publicBase()}/fhir`,
    resourceTypes: definitions.resourceTypes,
    compartmentTypes,
    validate: validateResource,
    capabilityStatement: () => {
      const base = `${options.publicBase()}/fhir`;
      if (capability?.base !== base) {
        const statement = buildCapabilityStatement({
          baseUrl: base,
          softwareVersion: SOFTWARE_VERSION,
          resourceTypes: definitions.resourceTypes,
          interactions: TYPE_INTERACTIONS,
          servedApart: (type) => (isStoredType(type) ? undefined : auditEventCapability(definitions.searchParameters)),
          systemInteractions: SYSTEM_INTERACTIONS,
          ...advertised,
          supportedProfiles: (type) => definitions.usCore.server[type]?.profiles ?? [],
          operations: (type) => TYPE_OPERATIONS[type] ?? [],
          systemOperations: SYSTEM_OPERATIONS,
          instantiates: ['http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server'],
          date: startedAt,
          oauth: authServerUrls(options.publicBase()),
        });
        capability = { base, text: JSON.stringify(statement) };
      }
      return capability.text;
    },
    defaultCount: config.defaultCount,
    maxCount: config.maxCount,
    maxBundleEntries: config.maxBundleEntries,
    searchLimits,
    parseSearch: (types, query, strict) =>
      parseSearch({ registry: params, resourceTypes: definitions.resourceTypes, limits: searchLimits, fhirBase: `${options.publicBase()}/fhir`, strict }, types, query),
    elements: definitions.elements,
    compartmentQuery: (patientId, opts) => compartmentQuery(params, definitions.patientCompartment, searchLimits, patientId, opts),
    bulkExport,
    auditEvents: createAuditEventStore(db.sql),
    auditReach: (scope, permission) => auditReachOf(scope, permission, accountStore.findById),
    auditTrail: audit,
  };
  const router = new FhirRouter(ctx, (error, req) =>
    logger.error({ err: error, reqId: req.origin?.requestId, method: req.method, path: req.path }, 'unexpected error in a FHIR interaction'),
  );
  const smartDefinitions: SmartDefinitions = {
    resourceTypes: definitions.resourceTypes,
    compartmentTypes,
    parseSearch: ctx.parseSearch,
  };
  const startExports = (scopeOf: (principal: Principal) => Promise<AccessScope>): ExportWorker | undefined => {
    if (config.export.workers === 0) return undefined;
    const worker = startExportWorker({
      logger,
      store: ctx.store,
      jobs: exportJobs,
      files,
      leaseSeconds: config.export.leaseSeconds,
      fileLines: config.export.fileLines,
      keepSeconds: config.export.keepSeconds,
      filterClauses: (type, query) => typeFilterClauses(ctx, type, query),
      scopeOf: (job) => scopeOf(job.principal),
      concurrency: config.export.workers,
      pollMs: 1000,
      maxAttempts: 3,
      audit,
    });
    nudgeExports = worker.nudge;
    return worker;
  };
  return {
    config,
    logger,
    router,
    database: db,
    taxonomy,
    smartDefinitions,
    bulkExport,
    exportJobCounts: () => exportJobs.countByStatus(),
    audit,
    startExports,
    ping: () => db.ping(),
    async close() {
      // Last of the users of the database: the requests and exports before it have finished.
      await audit.close();
      await taxonomy.close();
      await db.close();
    },
  };
}

/** How often each node adds its request statistics to the database. */
const STATISTICS_FLUSH_MS = 5_000;

/** The composition root: the FHIR core behind its HTTP listener; everything is wired here, and only here. */
export async function createFhirkeep(config: FhirkeepConfig, options: FhirkeepOptions = {}): Promise<Fhirkeep> {
  // Read before the database starts, so a missing file stops the start without leaving it running.
  const tls = config.tls === undefined ? undefined : { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  let baseUrl = config.baseUrl;
  const publicBase = () => {
    if (baseUrl === undefined) throw new Error('The base URL is known only after listen()');
    return baseUrl;
  };
  const core = await createFhirCore(config, { ...options, publicBase });
  const { logger } = core;
  let mtlsBase = config.mtls?.baseUrl;
  const urls = () => authServerUrls(publicBase(), mtlsBase);
  const kek = keyEncryptionKey(config.keyEncryptionKey, config.dataDir);
  const ca = lazyCertificateAuthority(core.database.sql, kek, options.clock);
  const buckets = config.rateLimit.store === 'postgres' ? leasedBuckets({ shared: createSharedBuckets(core.database.sql), logger }) : memoryBuckets();
  const rateLimits = createRateLimits(config.rateLimit, buckets);
  let auth: AuthServices;
  try {
    auth = await openAuthServices(core.database, logger, urls, {
      keyEncryptionKey: kek,
      filterContext: { taxonomy: core.taxonomy, resourceTypes: core.smartDefinitions.resourceTypes },
      certificateAuthority: ca,
      rateLimits: { perClient: rateLimits.tokenPerClient, loginPerIp: rateLimits.loginPerIp },
      record: auditSecurityEvents(core.audit),
      ...(options.clock === undefined ? {} : { now: options.clock }),
    });
  } catch (e) {
    await buckets.close();
    await core.close();
    throw e;
  }
  let adminBootstrap: AdminBootstrap;
  try {
    // Here, not in the core: `import` uses the core and must never make an admin whose password nobody sees.
    adminBootstrap = await auth.accounts.bootstrapAdmin(config.admin);
  } catch (e) {
    await buckets.close();
    await auth.close();
    await core.close();
    throw e;
  }
  if (adminBootstrap.created) logger.info({ email: adminBootstrap.email }, 'created the first admin account');
  const app = createHttpApp({
    logger,
    bodyLimit: config.bodyLimit,
    maxJsonDepth: config.maxJsonDepth,
    trustProxy: config.trustProxy,
    ...(tls === undefined ? {} : { tls }),
  });
  // First, so a request during a shutdown is refused before any other hook spends work on it.
  const drain = registerDraining(app);
  registerSecureHeaders(app, () => baseUrl?.startsWith('https:') === true);
  registerRateLimitHooks(app, rateLimits);
  registerCors(app);
  const statisticsStore = createStatisticsStore(core.database.sql);
  const statistics = startRequestStatistics({ sink: statisticsStore, logger, flushMs: STATISTICS_FLUSH_MS, limits: DEFAULT_STATISTICS_LIMITS });
  registerStatisticsHooks(app, statistics);
  const metrics = createNodeMetrics({
    database: { poolSize: core.database.poolSize, connections: () => core.database.connections(), ping: core.ping },
    jobs: {
      exportJobs: core.exportJobCounts,
      // The worker starts once the routes are wired, long before a scrape can come.
      exportRuns: () => ({ running: exportWorker?.running() ?? 0, slots: exportWorker === undefined ? 0 : config.export.workers }),
      statisticsFlushFailures: () => statistics.failedFlushes(),
    },
    auditQueue: () => core.audit.stats(),
  });
  registerMetricsHooks(app, metrics.http);
  registerMetricsRoutes(app, { text: metrics.text, token: config.metricsToken });
  registerHealthRoutes(app, { ping: core.ping, draining: drain.draining, replica: () => core.database.searches.replica() });
  registerOAuthRoutes(app, { token: auth.tokenEndpoint, keys: auth.keys, urls });
  const { sessions } = auth;
  // The JSON API is for the portal (and people at it), so it authenticates with the portal's
  // session cookie: an app holding a user's access token must not be able to manage clients.
  const apiAccount = async (request: FastifyRequest) => {
    const account = await sessions.sessionAccount(request.headers.cookie);
    if (account === undefined) throw new FhirkeepError('unauthorized', 'Sign in first: the API needs a session');
    return account;
  };
  const { taxonomy } = core;
  const readFilter = (stored: unknown) => readStoredFilter(stored, { taxonomy, resourceTypes: core.smartDefinitions.resourceTypes });
  const describeAccess = (client: RegisteredClient) => describeClientAccess(client, { taxonomy, resourceTypes: core.smartDefinitions.resourceTypes });
  const directory = createConsentDirectory({ clients: auth.clients, organizations: auth.accounts, describeAccess });
  const consents = createConsentService({
    store: createConsentStore(core.database.sql),
    // The grant store of this node's auth services: marks the grants revoked here at once and NOTIFYs the others.
    revokeGrants: (accountId, clientId) => auth.grantStore.revokeGrantsOf(accountId, clientId),
    record: auth.record,
  });
  registerAuthorizeRoutes(app, {
    fhirBase: () => urls().fhirBase,
    issuer: () => urls().issuer,
    clients: auth.clients,
    accounts: auth.accounts,
    scopes: auth.scopes,
    patients: patientDirectory(core.router, core.smartDefinitions),
    grants: auth.grants,
    consents: appConsents(consents),
    describeAccess: async (client) => describeAccess(client),
    sessions,
    requests: auth.authorizationRequests,
    authenticateApi: apiAccount,
    recordSecurityEvent: auth.record,
  });
  const apiCaller = async (request: FastifyRequest) => {
    const account = await apiAccount(request);
    return { accountId: account.id, roles: account.roles };
  };
  registerClientApiRoutes(app, { registry: auth.clients, accessFilters: auth.accessFilters, authenticate: apiCaller });
  registerKeyApiRoutes(app, { keys: auth.serviceKeys, accounts: auth.accounts, authenticate: apiCaller, caCertificate: async () => (await ca()).certificatePem });
  // One TaxonomyAdmin for the content API and the admin pages.
  const taxonomyAdmin = createTaxonomyAdmin({
    sql: core.database.sql,
    taxonomy: core.taxonomy,
    resourceTypes: core.smartDefinitions.resourceTypes,
    // The edit is committed: a failed reload of this node's snapshot must not answer it as a
    // failure (a retried POST would meet a 409); the NOTIFY reload catches up.
    afterEdit: () => core.taxonomy.reload().catch((e: unknown) => logger.warn({ err: e }, 'could not reload the content taxonomy after an edit')),
  });
  registerContentApiRoutes(app, { taxonomy: core.taxonomy, admin: taxonomyAdmin, authenticate: apiCaller });
  registerAccountApiRoutes(app, { accounts: auth.accounts, authenticate: apiCaller });
  const applicationRule = createApplicationRules({
    read: readFilter,
    contentResourceType: (content) => taxonomy.content(content)?.resourceType,
    epoch: () => taxonomy.epoch,
  });
  registerOwnAccountApiRoutes(app, { accounts: auth.accounts, sessions, authenticate: apiAccount });
  const accessLog = createAccessLog({
    store: createAuditEventStore(core.database.sql),
    clientName: async (id) => (await auth.clients.lookup(id))?.client.name,
    account: (id) => auth.accounts.find(id),
    organizationName: async (id) => (await auth.accounts.findOrganization(id))?.name,
  });
  const pageLimits = { defaultCount: config.defaultCount, maxCount: config.maxCount };
  registerAccessLogApiRoutes(app, { accessLog, limits: pageLimits, authenticate: apiAccount });
  registerConsentApiRoutes(app, {
    consents,
    authenticate: async (request) => consentCallerOf(await apiAccount(request), auth.accounts.organizationsOf),
  });
  registerDirectoryApiRoutes(app, { directory, authenticate: apiAccount });
  const hie = createHieService({ db: core.database, accounts: auth.accounts, record: auth.record });
  registerHieRoutes(app, { hie });
  registerHieApiRoutes(app, { hie, authenticate: apiCaller });
  const brokers = createBrokerStore(core.database.sql);
  const studies = createStudyGrants({ store: createStudyStore(core.database.sql), client: async (id) => (await auth.clients.lookup(id))?.client, record: auth.record });
  registerStudyApiRoutes(app, { studies, authenticate: apiCaller });
  const actingFor = async (brokerId: string, grp: string) => {
    const found = await brokers.actingFor(brokerId, parseOrganizationRef(grp));
    if ('organizationId' in found) return found.organizationId;
    throw new FhirkeepError(
      'unauthorized',
      found.problem === 'unknown-organization' ? 'There is no organization ' + grp : 'The organization ' + grp + ' has no active relationship with this broker',
      { headers: { 'WWW-Authenticate': 'Bearer realm="fhirkeep", error="invalid_token"' } },
    );
  };
  const studyFor = (clientId: string, researchstudy: string) => studies.authorizedStudy(clientId, researchstudy);
  const client = async (id: string) => (await auth.clients.lookup(id))?.client;
  const scopeOf = (subject: ScopeSubject, registered: RegisteredClient | undefined, organizationId: string | undefined, studyId?: string) =>
    credentialScope(
      subject,
      registered,
      organizationId,
      {
        defs: core.smartDefinitions,
        accountPatient: async (id) => (await auth.accounts.find(id))?.patientId,
        applicationRule,
      },
      studyId,
    );
  const resolveCredentials = createScopeResolver({
    devNoAuth: config.devNoAuth,
    accessTokens: auth.accessTokens,
    keys: auth.keyAuthentication,
    client,
    onClientChange: (listener) => auth.clients.onChange(listener),
    epoch: () => taxonomy.epoch,
    actingFor,
    hie: async (clientId, token) => hieScope(await hie.sessions.caller(clientId, token), core.smartDefinitions),
    studyFor,
    scopeOf,
  });
  const resolveScope = limitedPerClient(resolveCredentials, rateLimits.fhirPerClient);
  const clientStatistics = createClientStatistics({ clients: auth.clients, store: statisticsStore, flushLocal: statistics.flush });
  const debug = createDebugRequests({ client: clientStatistics.client, tokenEndpoint: auth.tokenEndpoint, inject: (request) => app.inject(request) });
  registerStatisticsApiRoutes(app, { statistics: clientStatistics, debug, authenticate: apiCaller });
  registerPortalRoutes(app, {
    sessions,
    publicBase,
    routes: [
      ...homePages(),
      ...signInPages({ accounts: auth.accounts, sessions }),
      ...appsPages({ clients: auth.clients, keys: auth.serviceKeys, accounts: auth.accounts, caCertificate: async () => (await ca()).certificatePem, secureCookies: () => publicBase().startsWith('https:') }),
      ...filterPages({ clients: auth.clients, accessFilters: auth.accessFilters, taxonomy: core.taxonomy }),
      ...adminPages({ accounts: auth.accounts, taxonomy, taxonomyAdmin, clients: auth.clients, studies, hie }),
      ...accountAreaPages({ accounts: auth.accounts, sessions, fhir: (req) => core.router.handle(req) }),
      ...appStatisticsPages({ statistics: clientStatistics }),
      ...appDebuggerPages({ debug, statistics: clientStatistics }),
      ...myDataPages({ consents, directory, accounts: auth.accounts, accessLog, limits: pageLimits }),
    ],
  });
  registerFhirRoutes(app, { router: core.router, publicRead: publicReads(core.smartDefinitions), resolveScope, audit: core.audit });
  registerBulkRoutes(app, { bulk: core.bulkExport, resolveScope });
  const exportWorker = core.startExports((principal) =>
    principalScope(principal, {
      devNoAuth: config.devNoAuth,
      client,
      revocations: auth.revocations,
      accountActive: async (id) => (await auth.accounts.find(id))?.disabled === false,
      actingFor,
      studyFor,
      hie: async (accountId, clientId) => {
        // Revoking an organization's client ends its sessions at once; its users' queued exports end with them.
        const hieClient = await hie.clients.find(clientId);
        if (hieClient === undefined || hieClient.revokedAt !== undefined) throw new FhirkeepError('unauthorized', 'The HIE client this export was asked through has been revoked');
        const account = await hie.accounts.find(accountId);
        if (account.disabled || account.activatedAt === undefined) throw new FhirkeepError('unauthorized', 'The HIE account this export was asked for is disabled or not activated');
        return hieScope({ accountId, clientId, profiles: account.profiles }, core.smartDefinitions);
      },
      scopeOf,
    }),
  );

  let mtls: MtlsListener | undefined;
  const listenMutualTls = async (port: number, host: string) => {
    const authority = await ca();
    // FHIRKEEP_TLS_CERT when given; else a certificate from our CA, which clients with keys trust already.
    const own = tls ?? (await authority.issueServerCertificate(['localhost', '127.0.0.1', '::1', host, new URL(publicBase()).hostname]));
    return listenMtls(app, { host: config.host, port, ca: authority.certificatePem, ...('certPem' in own ? { cert: own.certPem, key: own.keyPem } : own) });
  };

  let demo: LoadedDemo | undefined;
  let closed = false;
  return {
    ...core,
    auth,
    consents,
    studies,
    hie,
    adminBootstrap,
    statistics,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      if (baseUrl === undefined) {
        const port = new URL(address).port;
        baseUrl = `${config.tls === undefined ? 'http' : 'https'}://localhost:${port}`;
      }
      if (config.mtls !== undefined) {
        mtls = await listenMutualTls(config.mtls.port, config.host);
        mtlsBase ??= `https://${new URL(baseUrl).hostname}:${mtls.port}`;
      }
      // Here, not beside the admin bootstrap: a FHIR write needs the base URL, known only now.
      if (demoWanted(config)) {
        demo = await loadDemo({ handle: (req) => core.router.handle(req), accounts: auth.accounts, clients: auth.clients, serviceKeys: auth.serviceKeys, consents });
        if (demo !== undefined) logger.info({ patients: demo.patients, app: demo.app.clientId, service: demo.service.clientId }, 'loaded the demo');
      }
      logger.info({ address, baseUrl, ...(mtlsBase === undefined ? {} : { mtls: mtlsBase }) }, 'Fhirkeep is listening');
      return baseUrl;
    },
    mtlsUrl: () => (mtls === undefined ? undefined : mtlsBase),
    demo: () => demo,
    async close() {
      if (closed) return;
      closed = true;
      drain.start();
      const main = { close: () => app.close(), cutOff: () => app.server.closeAllConnections() };
      const graceSeconds = config.shutdownGraceSeconds;
      await Promise.all([
        closeWithin(mtls === undefined ? [main] : [main, mtls], graceSeconds * 1000, () =>
          logger.warn({ graceSeconds }, 'requests still running after the shutdown grace: their connections are cut'),
        ),
        // Meanwhile the export jobs this node runs reach a checkpoint and are handed back.
        exportWorker?.close(),
      ]);
      // After the listeners: the requests they drained are counted in this last flush (and their
      // audit rows written by core.close(), after the export worker's).
      await statistics.close();
      await buckets.close();
      await auth.close();
      await core.close();
    },
  };
}
