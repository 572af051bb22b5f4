import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Sql } from 'postgres';
import { appConsents } from '../../src/access/consents/app-consents.js';
import { createConsentService, type ConsentService } from '../../src/access/consents/consent-service.js';
import type { Account } from '../../src/auth/accounts/account.js';
import type { RegisteredClient } from '../../src/auth/clients/client.js';
import { createGrantService } from '../../src/auth/grants/grant-service.js';
import type { AuthorizeDependencies, PatientSummary } from '../../src/auth/oauth/authorize/authorize-dependencies.js';
import type { SecurityEvent } from '../../src/auth/security-events.js';
import { createSessionService } from '../../src/auth/sessions/session-service.js';
import { FhirkeepError } from '../../src/errors/fhirkeep-error.js';
import { registerAuthorizeRoutes } from '../../src/http/authorize-routes.js';
import { createHttpApp } from '../../src/http/fastify-app.js';
import { createConsentStore } from '../../src/storage/access/consent-store.js';
import { createAuthorizationRequestStore } from '../../src/storage/auth/authorization-request-store.js';
import { createGrantStore, type GrantStore } from '../../src/storage/auth/grant-store.js';
import { createSessionStore } from '../../src/storage/auth/session-store.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const PASSWORD = 'correct horse battery staple';
export const APP_REDIRECT = 'https://app.example/callback';

export const PATIENTS: readonly PatientSummary[] = [
  { id: 'p1', name: 'Alice Example', birthDate: '1980-02-03' },
  { id: 'p2', name: 'Bob <Sample>' },
  { id: 'p3', name: 'Carol Example' },
];

const account = (id: string, roles: Account['roles'], extra: Partial<Account> = {}): Account => ({
  id,
  email: `${id}@example.org`,
  roles,
  displayName: undefined,
  patientId: undefined,
  practitionerId: undefined,
  disabled: false,
  ...extra,
});

export const ACCOUNTS = {
  patient: account('alice', ['patient'], { patientId: 'p1', displayName: 'Alice Example' }),
  practitioner: account('drwho', ['practitioner'], { practitionerId: 'pr1', displayName: 'Dr Who' }),
  developer: account('dev', ['developer']),
  researcher: account('res', ['researcher']),
} as const;

const client = (id: string, extra: Partial<RegisteredClient> = {}): RegisteredClient => ({
  id,
  type: 'smart',
  name: `App ${id}`,
  isPublic: true,
  hasSecret: false,
  redirectUris: [APP_REDIRECT],
  jwks: undefined,
  jwksUri: undefined,
  requirePkce: true,
  scopes: ['openid', 'fhirUser', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'patient/*.rs', 'user/*.rs'],
  launchUri: undefined,
  ownerAccount: undefined,
  createdAt: new Date(),
  revoked: false,
  accessFilter: undefined,
  filterVersion: 1,
  writeMode: 'any',
  reach: 'consented',
  ...extra,
});

export const CLIENTS = {
  app: client('app', { name: 'Growth <Chart>', launchUri: 'https://app.example/launch?v=1' }),
  other: client('other'),
  twoRedirects: client('two', { redirectUris: [APP_REDIRECT, 'https://app.example/other'] }),
  confidential: client('conf', { isPublic: false, hasSecret: true, requirePkce: false }),
  revoked: client('gone', { revoked: true }),
  service: client('svc', { type: 'service' }),
} as const;

/** The fixture's stand-in for the access-filter describer: lines for the demo app only. */
export const ACCESS_DESCRIBED = { clientId: 'app', lines: ['Body weight & <height> records', 'Only records created by this app'] } as const;

/** RFC 7636 §4.1–4.2: a verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** SMART scope-token syntax (RFC 6749 §3.3) and exact-or-wildcard narrowing: enough for these tests. */
const scopes: AuthorizeDependencies['scopes'] = {
  parse(text) {
    const list = text.split(' ');
    if (list.some((s) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))) throw new FhirkeepError('invalid-scope', 'Malformed scope');
    return list;
  },
  narrow(requested, allowed) {
    const covers = (a: string, s: string): boolean => a === s || (a.includes('/*.') && s.startsWith(a.split('*')[0] ?? '') && s.endsWith(a.split('*')[1] ?? ''));
    const granted = requested.filter((s) => allowed.some((a) => covers(a, s)));
    return { granted, refused: requested.filter((s) => !granted.includes(s)) };
  },
};

export interface AuthorizeFixture {
  readonly database: TestDatabase;
  readonly sql: Sql;
  readonly app: FastifyInstance;
  readonly origin: string;
  readonly fhirBase: string;
  readonly deps: AuthorizeDependencies;
  readonly grantStore: GrantStore;
  readonly consents: ConsentService;
  readonly events: SecurityEvent[];
  close(): Promise<void>;
}

/** Inserts the rows the foreign keys need (grants → clients, sessions → accounts). */
async function seed(sql: Sql): Promise<void> {
  for (const a of Object.values(ACCOUNTS)) {
    await sql`insert into accounts (id, email, roles, display_name, patient_id, practitioner_id)
              values (${a.id}, ${a.email}, ${a.roles as string[]}, ${a.displayName ?? null}, ${a.patientId ?? null}, ${a.practitionerId ?? null})`;
  }
  for (const c of Object.values(CLIENTS)) {
    await sql`insert into clients (id, type, name, public, redirect_uris, require_pkce, scopes, launch_uri, revoked_at)
              values (${c.id}, ${c.type}, ${c.name}, ${c.isPublic}, ${c.redirectUris as string[]}, ${c.requirePkce}, ${c.scopes as string[]},
                      ${c.launchUri ?? null}, ${c.revoked ? new Date() : null})`;
  }
}

/**
 * The authorization routes on a Fastify app of their own, over real stores on a fresh database,
 * with small real stand-ins for the account service, client registry, scope functions and
 * patient search (their own helpers test those).
 */
export async function startAuthorizeFixture(options: { readonly fhirBase?: string } = {}): Promise<AuthorizeFixture> {
  const database = await createTestDatabase();
  const { sql } = database.db;
  await seed(sql);
  const app = createHttpApp({ logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), bodyLimit: 1024 * 1024 });
  const accounts = new Map<string, Account>(Object.values(ACCOUNTS).map((a) => [a.id, a]));
  const failures = new Map<string, number>();
  const clients = new Map<string, RegisteredClient>(Object.values(CLIENTS).map((c) => [c.id, c]));
  const events: SecurityEvent[] = [];
  let origin = '';
  const fhirBase = (): string => options.fhirBase ?? `${origin}/fhir`;
  const grantStore = createGrantStore(sql);
  const consents = createConsentService({ store: createConsentStore(sql), revokeGrants: (a, c) => grantStore.revokeGrantsOf(a, c), record: (e) => events.push(e) });
  const sessionAccounts = { find: async (id: string) => accounts.get(id) };
  const deps: AuthorizeDependencies = {
    fhirBase,
    issuer: () => origin,
    clients: { find: async (id) => clients.get(id) },
    accounts: {
      // Plain comparison instead of argon2, and a throttle after three failures per email; like
      // the account service, it records each attempt as a login event.
      async authenticate(email, password, origin) {
        const login = (outcome: 'success' | 'failure', accountId?: string) => events.push({ kind: 'login', outcome, accountId, clientId: origin.clientId, ip: origin.ip });
        if ((failures.get(email) ?? 0) >= 3) {
          login('failure');
          throw new FhirkeepError('too-many-requests', 'Too many attempts', { headers: { 'Retry-After': '30' } });
        }
        const found = [...accounts.values()].find((a) => a.email === email.toLowerCase());
        if (found === undefined || password !== PASSWORD) {
          failures.set(email, (failures.get(email) ?? 0) + 1);
          login('failure', found?.id);
          throw new FhirkeepError('unauthorized', 'Wrong email or password');
        }
        login('success', found.id);
        return found;
      },
      find: sessionAccounts.find,
    },
    scopes,
    patients: {
      search: async (_account, text, limit) => PATIENTS.filter((p) => p.name.toLowerCase().includes(text.toLowerCase())).slice(0, limit),
      find: async (_account, id) => PATIENTS.find((p) => p.id === id),
    },
    grants: createGrantService(grantStore),
    consents: appConsents(consents),
    // What the access-filter describer would say of the demo app's filter (its own tests cover it).
    describeAccess: async (c) => (c.id === ACCESS_DESCRIBED.clientId ? ACCESS_DESCRIBED.lines : []),
    sessions: createSessionService({ store: createSessionStore(sql), accounts: sessionAccounts, secure: () => fhirBase().startsWith('https:') }),
    requests: createAuthorizationRequestStore(sql),
    // The test's API credential: "Bearer <account id>".
    async authenticateApi(request) {
      const found = accounts.get(request.headers.authorization?.replace(/^Bearer /, '') ?? '');
      if (found === undefined) throw new FhirkeepError('unauthorized', 'Sign in first', { headers: { 'WWW-Authenticate': 'Bearer' } });
      return found;
    },
    recordSecurityEvent: (event) => events.push(event),
  };
  registerAuthorizeRoutes(app, deps);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  origin = address;
  return {
    database,
    sql,
    app,
    origin,
    get fhirBase() {
      return fhirBase();
    },
    deps,
    grantStore,
    consents,
    events,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
