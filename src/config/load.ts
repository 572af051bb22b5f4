import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_SCHEMA, type FhirkeepConfig } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const PREFIX = 'FHIRKEEP_';
/** Variables that belong to the test harness or the CLI, not to the server's configuration. */
const NOT_SETTINGS = new Set(['FHIRKEEP_CONFIG', 'FHIRKEEP_TEST_DATABASE_URL', 'FHIRKEEP_TEST_SKIP_EXTERNAL_PG']);

/**
 * Builds the configuration from a file (FHIRKEEP_CONFIG, JSON with the same keys) overlaid by
 * the environment. Unknown FHIRKEEP_* names and invalid values stop the start with a message
 * naming each bad setting, so a typo never silently falls back to a default.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, string> = {}): FhirkeepConfig {
  const fromFile = env.FHIRKEEP_CONFIG ? readConfigFile(env.FHIRKEEP_CONFIG) : {};
  const fromEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(PREFIX) && !NOT_SETTINGS.has(key) && value !== undefined && value !== '') fromEnv[key] = value;
  }
  return parseConfig({ ...fromFile, ...fromEnv, ...overrides });
}

export function parseConfig(input: Record<string, unknown>): FhirkeepConfig {
  const parsed = CONFIG_SCHEMA.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `unknown setting(s): ${i.keys.join(', ')}` : `${i.path.join('.')}: ${i.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  if (c.FHIRKEEP_DEFAULT_COUNT > c.FHIRKEEP_MAX_COUNT) {
    throw new ConfigError('Invalid configuration:\n  FHIRKEEP_DEFAULT_COUNT: must not exceed FHIRKEEP_MAX_COUNT');
  }
  if ((c.FHIRKEEP_TLS_CERT === undefined) !== (c.FHIRKEEP_TLS_KEY === undefined)) {
    throw new ConfigError('Invalid configuration:\n  FHIRKEEP_TLS_CERT and FHIRKEEP_TLS_KEY must be set together');
  }
  if (c.FHIRKEEP_MTLS_BASE_URL !== undefined && c.FHIRKEEP_MTLS_PORT === undefined) {
    throw new ConfigError('Invalid configuration:\n  FHIRKEEP_MTLS_BASE_URL needs FHIRKEEP_MTLS_PORT');
  }
  if (c.FHIRKEEP_DATABASE_REPLICA_URL !== undefined && c.FHIRKEEP_DATABASE_URL === undefined) {
    throw new ConfigError('Invalid configuration:\n  FHIRKEEP_DATABASE_REPLICA_URL needs FHIRKEEP_DATABASE_URL: the embedded database has no replicas; set both to a primary and its streaming replica');
  }
  if (c.FHIRKEEP_DATABASE_REPLICA_POOL_SIZE !== undefined && c.FHIRKEEP_DATABASE_REPLICA_URL === undefined) {
    throw new ConfigError('Invalid configuration:\n  FHIRKEEP_DATABASE_REPLICA_POOL_SIZE needs FHIRKEEP_DATABASE_REPLICA_URL');
  }
  const scheme = c.FHIRKEEP_TLS_CERT === undefined ? 'http' : 'https';
  return {
    host: c.FHIRKEEP_HOST,
    port: c.FHIRKEEP_PORT,
    baseUrl: c.FHIRKEEP_BASE_URL ?? (c.FHIRKEEP_PORT === 0 ? undefined : `${scheme}://localhost:${c.FHIRKEEP_PORT}`),
    dataDir: resolve(c.FHIRKEEP_DATA_DIR),
    databaseUrl: c.FHIRKEEP_DATABASE_URL,
    tls:
      c.FHIRKEEP_TLS_CERT === undefined || c.FHIRKEEP_TLS_KEY === undefined
        ? undefined
        : { certFile: resolve(c.FHIRKEEP_TLS_CERT), keyFile: resolve(c.FHIRKEEP_TLS_KEY) },
    mtls: c.FHIRKEEP_MTLS_PORT === undefined ? undefined : { port: c.FHIRKEEP_MTLS_PORT, baseUrl: c.FHIRKEEP_MTLS_BASE_URL },
    poolSize: c.FHIRKEEP_DATABASE_POOL_SIZE,
    replica:
      c.FHIRKEEP_DATABASE_REPLICA_URL === undefined
        ? undefined
        : { url: c.FHIRKEEP_DATABASE_REPLICA_URL, poolSize: c.FHIRKEEP_DATABASE_REPLICA_POOL_SIZE ?? c.FHIRKEEP_DATABASE_POOL_SIZE, maxLagMs: c.FHIRKEEP_REPLICA_MAX_LAG_MS },
    logLevel: c.FHIRKEEP_LOG_LEVEL,
    bodyLimit: c.FHIRKEEP_BODY_LIMIT,
    maxCount: c.FHIRKEEP_MAX_COUNT,
    defaultCount: c.FHIRKEEP_DEFAULT_COUNT,
    maxBundleEntries: c.FHIRKEEP_MAX_BUNDLE_ENTRIES,
    maxChainDepth: c.FHIRKEEP_MAX_CHAIN_DEPTH,
    maxSearchClauses: c.FHIRKEEP_MAX_SEARCH_CLAUSES,
    maxOrValues: c.FHIRKEEP_MAX_OR_VALUES,
    maxIncludes: c.FHIRKEEP_MAX_INCLUDES,
    maxJsonDepth: c.FHIRKEEP_MAX_JSON_DEPTH,
    trustProxy: c.FHIRKEEP_TRUST_PROXY,
    rateLimit: {
      store: c.FHIRKEEP_RATE_LIMIT_STORE,
      fhirPerClient: c.FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT,
      fhirPerIp: c.FHIRKEEP_RATE_LIMIT_FHIR_PER_IP,
      tokenPerClient: c.FHIRKEEP_RATE_LIMIT_TOKEN_PER_CLIENT,
      tokenPerIp: c.FHIRKEEP_RATE_LIMIT_TOKEN_PER_IP,
      loginPerIp: c.FHIRKEEP_RATE_LIMIT_LOGIN_PER_IP,
    },
    devNoAuth: c.FHIRKEEP_DEV_NO_AUTH,
    demo: c.FHIRKEEP_DEMO,
    contentAutoRegister: c.FHIRKEEP_CONTENT_AUTO_REGISTER,
    keyEncryptionKey: c.FHIRKEEP_KEY_ENCRYPTION_KEY,
    export: {
      workers: c.FHIRKEEP_EXPORT_WORKERS,
      fileLines: c.FHIRKEEP_EXPORT_FILE_LINES,
      keepSeconds: c.FHIRKEEP_EXPORT_KEEP_SECONDS,
      pollSeconds: c.FHIRKEEP_EXPORT_POLL_SECONDS,
      maxPerClient: c.FHIRKEEP_EXPORT_MAX_PER_CLIENT,
      leaseSeconds: c.FHIRKEEP_EXPORT_LEASE_SECONDS,
    },
    metricsToken: c.FHIRKEEP_METRICS_TOKEN,
    audit: { queueSize: c.FHIRKEEP_AUDIT_QUEUE_SIZE, flushMs: c.FHIRKEEP_AUDIT_FLUSH_MS },
    shutdownGraceSeconds: c.FHIRKEEP_SHUTDOWN_GRACE_SECONDS,
    admin: { email: c.FHIRKEEP_ADMIN_EMAIL, password: c.FHIRKEEP_ADMIN_PASSWORD },
  };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read FHIRKEEP_CONFIG file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`FHIRKEEP_CONFIG file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`FHIRKEEP_CONFIG file ${path} must hold a JSON object of settings`);
  }
  // File values may be numbers or booleans; the schema coerces strings, so normalise to strings.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]));
}
