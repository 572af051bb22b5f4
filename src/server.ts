import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { createScopeResolver } from './access/request-scope.js';
import type { FhirkeepConfig } from './config/schema.js';
import { buildCapabilityStatement } from './fhir/capability-statement.js';
import { loadDefinitions } from './fhir/definitions.js';
import { preloadValidators, validateResource } from './fhir/validator.js';
import { createHttpApp } from './http/fastify-app.js';
import { registerFhirRoutes } from './http/fhir-routes.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { FhirRouter, SYSTEM_INTERACTIONS, TYPE_INTERACTIONS } from './rest/router.js';
import type { RestContext } from './rest/rest-context.js';
import { openDatabase } from './storage/database.js';
import { createIndexer } from './search/index/indexer.js';
import { r4ParamRegistry } from './search/params/param-registry.js';
import { parseSearch } from './search/query/parse-search.js';
import { FIXED_SEARCH_LIMITS, type SearchLimits } from './search/query/search-limits.js';
import { createResourceStore } from './storage/resource-store.js';
import { SOFTWARE_VERSION } from './version.js';

/** Everything that answers FHIR requests, without a network listener (the CLI's import uses it alone). */
export interface FhirCore {
  readonly config: FhirkeepConfig;
  readonly logger: Logger;
  readonly router: FhirRouter;
  /** Resolves when the database answers (readiness). */
  ping(): Promise<void>;
  /** Closes the pool and, if owned, the embedded database. */
  close(): Promise<void>;
}

export interface Fhirkeep extends FhirCore {
  /** Binds the listener; resolves to the public base URL (e.g. http://localhost:8080). */
  listen(): Promise<string>;
  /** Stops accepting requests, drains, closes the pool and, if owned, the embedded database. */
  close(): Promise<void>;
}

export interface FhirkeepOptions {
  /** A logger to use instead of a new pino logger (tests pass a silent one). */
  readonly logger?: Logger;
  /** `share` for CLI commands: use the embedded cluster a running server owns. */
  readonly clusterMode?: 'own' | 'share';
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
      // Credentials never reach the log (see docs/observability once it exists).
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-auth-token"]'],
    });
  const db = await openDatabase(config, logger, { clusterMode: options.clusterMode ?? 'own' });
  const definitions = loadDefinitions();
  const params = r4ParamRegistry();
  const searchLimits: SearchLimits = {
    ...FIXED_SEARCH_LIMITS,
    defaultCount: config.defaultCount,
    maxCount: config.maxCount,
    maxChainDepth: config.maxChainDepth,
  };
  preloadValidators();
  const startedAt = new Date();
  let capability: { base: string; text: string } | undefined;
  const ctx: RestContext = {
    store: createResourceStore(db, createIndexer(params)),
    fhirBase: () => `${options.publicBase()}/fhir`,
    resourceTypes: definitions.resourceTypes,
    validate: validateResource,
    capabilityStatement: () => {
      const base = `${options.publicBase()}/fhir`;
      if (capability?.base !== base) {
        const statement = buildCapabilityStatement({
          baseUrl: base,
          softwareVersion: SOFTWARE_VERSION,
          resourceTypes: definitions.resourceTypes,
          interactions: TYPE_INTERACTIONS,
          systemInteractions: SYSTEM_INTERACTIONS,
          date: startedAt,
        });
        capability = { base, text: JSON.stringify(statement) };
      }
      return capability.text;
    },
    defaultCount: config.defaultCount,
    maxCount: config.maxCount,
    maxBundleEntries: config.maxBundleEntries,
    parseSearch: (types, query, strict) =>
      parseSearch({ registry: params, resourceTypes: definitions.resourceTypes, limits: searchLimits, fhirBase: `${options.publicBase()}/fhir`, strict }, types, query),
    elements: definitions.elements,
  };
  const router = new FhirRouter(ctx, (error, req) =>
    logger.error({ err: error, method: req.method, path: req.path }, 'unexpected error in a FHIR interaction'),
  );
  return { config, logger, router, ping: () => db.ping(), close: () => db.close() };
}

/** The composition root: the FHIR core behind its HTTP listener; everything is wired here, and only here. */
export async function createFhirkeep(config: FhirkeepConfig, options: FhirkeepOptions = {}): Promise<Fhirkeep> {
  // Read before the database starts, so a missing file stops the start without leaving it running.
  const tls = config.tls === undefined ? undefined : { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  let baseUrl = config.baseUrl;
  const core = await createFhirCore(config, {
    ...options,
    publicBase: () => {
      if (baseUrl === undefined) throw new Error('The base URL is known only after listen()');
      return baseUrl;
    },
  });
  const { logger } = core;
  const app = createHttpApp({
    logger,
    bodyLimit: config.bodyLimit,
    ...(tls === undefined ? {} : { tls }),
  });
  registerHealthRoutes(app, { ping: core.ping });
  registerFhirRoutes(app, { router: core.router, resolveScope: createScopeResolver(config.devNoAuth) });

  let closed = false;
  return {
    ...core,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      if (baseUrl === undefined) {
        const port = new URL(address).port;
        baseUrl = `${config.tls === undefined ? 'http' : 'https'}://localhost:${port}`;
      }
      logger.info({ address, baseUrl }, 'Fhirkeep is listening');
      return baseUrl;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await core.close();
    },
  };
}
