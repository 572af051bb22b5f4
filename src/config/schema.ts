import { z } from 'zod';
import { emailProblem, passwordProblem } from '../auth/accounts/credentials-policy.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../http/json-depth.js';
import { trustProxyProblem } from '../http/trust-proxy.js';
import { SEARCH_LIMIT_DEFAULTS } from '../search/query/search-limits.js';

const port = z.coerce.number().int().min(0).max(65535);
const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const positive = z.coerce.number().int().positive();
/** A zod refinement from a `…Problem(value)` check that answers a message or undefined. */
const checkedBy = (problem: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const message = problem(value);
  if (message !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
};
/** A rate limit: requests per minute, 0 = no limit. */
const perMinute = z.coerce.number().int().min(0).max(1_000_000_000);
/** Fastify's trustProxy: a hop count, or addresses, CIDR ranges and proxy-addr's named ranges. */
const trustProxy = z
  .string()
  .trim()
  .superRefine(checkedBy(trustProxyProblem))
  .transform((v): number | string[] => (/^\d+$/.test(v) ? Number(v) : v.split(',').map((p) => p.trim())));

/**
 * Every setting Fhirkeep reads, with its default. Environment names are the keys here; the
 * README's configuration table is generated from the same descriptions (docs/configuration.md).
 */
export const CONFIG_SCHEMA = z
  .object({
    FHIRKEEP_HOST: z.string().min(1).default('127.0.0.1').describe('HTTP listener address'),
    FHIRKEEP_PORT: port.default(8080).describe('HTTP listener port (0 = any free port)'),
    FHIRKEEP_BASE_URL: z
      .string()
      .url()
      .transform((u) => u.replace(/\/+$/, ''))
      .optional()
      .describe('Public URL used in links, aud, iss and discovery (default http://localhost:<port>)'),
    FHIRKEEP_DATA_DIR: z.string().min(1).default('./.fhirkeep').describe('Embedded database, keys and bulk files'),
    FHIRKEEP_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional()
      .describe('Use this PostgreSQL (>= 14) instead of the embedded one'),
    FHIRKEEP_TLS_CERT: z.string().min(1).optional().describe('PEM certificate file: serve HTTPS (TLS 1.2 or newer only)'),
    FHIRKEEP_TLS_KEY: z.string().min(1).optional().describe('PEM private key file for FHIRKEEP_TLS_CERT'),
    FHIRKEEP_MTLS_PORT: port
      .optional()
      .describe('Extra HTTPS listener that asks for client certificates (API keys of type certificate, RFC 8705 tls_client_auth); 0 = any free port'),
    FHIRKEEP_MTLS_BASE_URL: z
      .string()
      .url()
      .transform((u) => u.replace(/\/+$/, ''))
      .optional()
      .describe('Public URL of the mTLS listener, advertised as mtls_endpoint_aliases (default https://<host of the base URL>:<FHIRKEEP_MTLS_PORT>)'),
    FHIRKEEP_DATABASE_POOL_SIZE: positive.max(200).default(10).describe('Connections in the database pool'),
    FHIRKEEP_DATABASE_REPLICA_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional()
      .describe('A streaming replica (hot standby) of FHIRKEEP_DATABASE_URL that answers searches (docs/replicas.md); only with FHIRKEEP_DATABASE_URL'),
    FHIRKEEP_DATABASE_REPLICA_POOL_SIZE: positive
      .max(200)
      .optional()
      .describe('Connections in the replica\'s pool (default: FHIRKEEP_DATABASE_POOL_SIZE)'),
    FHIRKEEP_REPLICA_MAX_LAG_MS: positive
      .max(3_600_000)
      .default(5000)
      .describe('A replica further behind the primary than this (or not answering for this long) answers no searches: the primary does'),
    FHIRKEEP_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level'),
    FHIRKEEP_BODY_LIMIT: positive.default(16 * 1024 * 1024).describe('Largest accepted request body, in bytes'),
    FHIRKEEP_MAX_COUNT: positive.max(10000).default(1000).describe('Largest page size (_count) a search or history returns'),
    FHIRKEEP_DEFAULT_COUNT: positive.max(10000).default(50).describe('Page size when _count is absent'),
    FHIRKEEP_MAX_BUNDLE_ENTRIES: positive.max(100000).default(10000).describe('Most entries a batch or transaction Bundle may hold'),
    FHIRKEEP_MAX_CHAIN_DEPTH: positive.max(10).default(3).describe('Deepest chained search (subject:Patient.organization.name is 2) or nested _has'),
    FHIRKEEP_MAX_SEARCH_CLAUSES: positive.max(1000).default(SEARCH_LIMIT_DEFAULTS.maxClauses).describe('Most search parameters (AND-ed clauses, chains and _has included) one search may combine (more: 400)'),
    FHIRKEEP_MAX_OR_VALUES: positive.max(10000).default(SEARCH_LIMIT_DEFAULTS.maxOrValues).describe('Most comma-separated values (OR) one search parameter may list (more: 400)'),
    FHIRKEEP_MAX_INCLUDES: positive.max(100).default(SEARCH_LIMIT_DEFAULTS.maxIncludes).describe('Most _include and _revinclude parameters one search may have (more: 400)'),
    FHIRKEEP_MAX_JSON_DEPTH: positive.max(1000).default(DEFAULT_MAX_JSON_DEPTH).describe('Deepest nesting of arrays and objects a JSON request body may have (deeper: 400, before it is parsed)'),
    FHIRKEEP_TRUST_PROXY: trustProxy
      .optional()
      .describe('The load balancers or reverse proxies whose X-Forwarded-For (client address) and X-Forwarded-Proto are believed: their addresses or CIDR ranges, comma-separated (or loopback, linklocal, uniquelocal), or the number of proxy hops; unset: none, the client address is the connection\'s'),
    FHIRKEEP_RATE_LIMIT_STORE: z
      .enum(['memory', 'postgres'])
      .default('memory')
      .describe('Where rate-limit buckets live: memory (each node its own: N nodes let up to N times the limit through) or postgres (one bucket per key shared by all nodes, taken in batches; docs/limits.md)'),
    FHIRKEEP_RATE_LIMIT_FHIR_PER_CLIENT: perMinute.default(60_000).describe('FHIR API requests per minute of one client (the credential\'s client_id); 0 = no limit'),
    FHIRKEEP_RATE_LIMIT_FHIR_PER_IP: perMinute.default(120_000).describe('FHIR API requests per minute from one address (an IPv6 /64 counts as one), counted before authentication; 0 = no limit'),
    FHIRKEEP_RATE_LIMIT_TOKEN_PER_CLIENT: perMinute.default(600).describe('Token, introspection and revocation requests per minute naming one client_id, counted before the client is authenticated; 0 = no limit'),
    FHIRKEEP_RATE_LIMIT_TOKEN_PER_IP: perMinute.default(1_200).describe('Token, introspection and revocation requests per minute from one address; 0 = no limit'),
    FHIRKEEP_RATE_LIMIT_LOGIN_PER_IP: perMinute.default(60).describe('Password sign-ins per minute from one address (authorization page, portal, HIE), counted before the password is checked; 0 = no limit'),
    FHIRKEEP_ADMIN_EMAIL: z
      .string()
      .trim()
      .default('admin@localhost')
      .superRefine(checkedBy(emailProblem))
      .describe('Email of the admin account made on first start (when no admin exists yet)'),
    // Never echoed: the problem messages name the rule, not the value.
    FHIRKEEP_ADMIN_PASSWORD: z
      .string()
      .superRefine(checkedBy(passwordProblem))
      .optional()
      .describe('Password of that first admin (12 to 256 characters); unset: generated and printed once on first start'),
    // Never echoed: the problem message names the rule, not the value.
    FHIRKEEP_KEY_ENCRYPTION_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes in base64url (43 characters), e.g. openssl rand 32 | basenc --base64url | tr -d =')
      .transform((k) => Buffer.from(k, 'base64url'))
      .optional()
      .describe('Key that encrypts the token-signing keys in the database (32 bytes, base64url); unset: kept in FHIRKEEP_DATA_DIR/key-encryption.key. Give every node the same one'),
    FHIRKEEP_CONTENT_AUTO_REGISTER: flag
      .default('0')
      .describe('Register a content type (e.g. loinc/1234-5, in group "dynamic") for a record whose code no content type claims, instead of giving it its resource type as content'),
    FHIRKEEP_DEMO: flag
      .default('1')
      .describe('On first start with the embedded database, load a small demo (synthetic patients, a SMART app, an external service) and print its logins; 0 = none. Never with FHIRKEEP_DATABASE_URL'),
    FHIRKEEP_EXPORT_WORKERS: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .default(2)
      .describe('Bulk export jobs this node runs at once (0: none; other nodes on the same database run them)'),
    FHIRKEEP_EXPORT_FILE_LINES: positive.default(100_000).describe('Resources per bulk export file: a type with more is split into several files'),
    FHIRKEEP_EXPORT_KEEP_SECONDS: positive.default(3600).describe('How long a finished bulk export and its files stay (the manifest\'s Expires); then they are deleted'),
    FHIRKEEP_EXPORT_POLL_SECONDS: positive.max(3600).default(2).describe('Retry-After of a bulk export status request while it runs; polling sooner is a 429'),
    FHIRKEEP_EXPORT_MAX_PER_CLIENT: positive.max(1000).default(2).describe('Bulk exports one client may have queued or running at once (more: 429)'),
    FHIRKEEP_EXPORT_LEASE_SECONDS: positive
      .max(3600)
      .default(30)
      .describe('A node renews its hold on a running export this often (a third of it); a node that dies loses it after this long and another resumes the export'),
    // Never echoed: the problem message names the rule, not the value.
    FHIRKEEP_METRICS_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters, e.g. openssl rand -hex 32')
      .regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'must be a bearer token (letters, digits and -._~+/ only, RFC 6750 §2.1), e.g. openssl rand -hex 32')
      .optional()
      .describe('Bearer token a Prometheus scraper must send to /metrics; unset: /metrics answers only requests from loopback addresses'),
    FHIRKEEP_AUDIT_QUEUE_SIZE: positive
      .max(1_000_000)
      .default(10_000)
      .describe('Audit rows (reads, refusals, security events) a node holds before writing them; when full, requests wait for room (docs/audit.md)'),
    FHIRKEEP_AUDIT_FLUSH_MS: positive
      .max(60_000)
      .default(100)
      .describe('A partial batch of audit rows is written this long after its first row (a full batch of 500 at once)'),
    FHIRKEEP_SHUTDOWN_GRACE_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(25)
      .describe('On SIGTERM/SIGINT, how long requests already in flight may take to finish before their connections are cut (docs/crash-safety.md)'),
    FHIRKEEP_DEV_NO_AUTH: flag
      .default('0')
      .describe('Serve the FHIR API without authentication (development only; never in production)'),
  })
  .strict();

export interface RateLimitSettings {
  readonly store: 'memory' | 'postgres';
  readonly fhirPerClient: number;
  readonly fhirPerIp: number;
  readonly tokenPerClient: number;
  readonly tokenPerIp: number;
  readonly loginPerIp: number;
}

export type ConfigInput = z.input<typeof CONFIG_SCHEMA>;

export interface FhirkeepConfig {
  readonly host: string;
  readonly port: number;
  /** Absent when the listener port is chosen at start (port 0); derived from the bound port then. */
  readonly baseUrl: string | undefined;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** Paths of the PEM certificate and key; both set or neither. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /**
   * The mTLS listener (docs/service-keys.md): its port and public URL (undefined: derived once
   * bound). It serves FHIRKEEP_TLS_CERT when set, else a certificate from Fhirkeep's own CA.
   */
  readonly mtls: { readonly port: number; readonly baseUrl: string | undefined } | undefined;
  readonly poolSize: number;
  /** The read replica searches go to (docs/replicas.md), if any. */
  readonly replica: { readonly url: string; readonly poolSize: number; readonly maxLagMs: number } | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly bodyLimit: number;
  readonly maxCount: number;
  readonly defaultCount: number;
  readonly maxBundleEntries: number;
  readonly maxChainDepth: number;
  readonly maxSearchClauses: number;
  readonly maxOrValues: number;
  readonly maxIncludes: number;
  readonly maxJsonDepth: number;
  /** Fastify's trustProxy (docs/limits.md, proxies); undefined: no proxy is trusted. */
  readonly trustProxy: number | readonly string[] | undefined;
  /** Requests per minute per class and subject, 0 = no limit (docs/limits.md). */
  readonly rateLimit: RateLimitSettings;
  /** Encrypts the signing keys at rest; undefined: a key file in the data directory. */
  readonly keyEncryptionKey: Buffer | undefined;
  readonly devNoAuth: boolean;
  /** Load the demo into a fresh embedded database (src/demo/load-demo.ts). */
  readonly demo: boolean;
  /** An unknown code gets a content type of its own (docs/access.md). */
  readonly contentAutoRegister: boolean;
  /** Bulk Data export (docs/bulk-export.md). */
  readonly export: {
    readonly workers: number;
    readonly fileLines: number;
    readonly keepSeconds: number;
    readonly pollSeconds: number;
    readonly maxPerClient: number;
    readonly leaseSeconds: number;
  };
  /** What /metrics asks of a scraper: this bearer token, or (undefined) a loopback address. */
  readonly metricsToken: string | undefined;
  /** The audit trail's queue (docs/audit.md). */
  readonly audit: { readonly queueSize: number; readonly flushMs: number };
  /** How long a shutdown waits for requests in flight before cutting their connections. */
  readonly shutdownGraceSeconds: number;
  /** The bootstrap admin (used only while no admin account exists). */
  readonly admin: { readonly email: string; readonly password: string | undefined };
}
